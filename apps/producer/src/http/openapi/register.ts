/**
 * Serves the API description: GET /v1/openapi.json and GET /docs (public: they describe the API
 * and carry no tenant data; the /v1 key check lets PUBLIC_DESCRIPTION_PATHS through), and
 * GET /v1/workflows (behind the API key like every other tenant route, see ../api/api-key-auth.ts).
 */
import type { Context, Hono } from 'hono';
import type { WorkflowList } from '../../contracts/api.js';
import type { ProducerDeps } from '../../platform/deps.js';
import type { AppEnv } from '../app-env.js';
import { buildOpenApiDocument } from './document.js';
import { renderDocsPage } from './docs-page.js';
import { describeWorkflows } from './workflows.js';

/** The /v1 paths answered without an API key (GET): the description only. /docs is outside /v1. */
export const PUBLIC_DESCRIPTION_PATHS: readonly string[] = ['/v1/openapi.json'];

export function registerDescriptionRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  // The catalog is fixed for the life of the process: build both once.
  const document = buildOpenApiDocument(deps.catalog);
  const page = renderDocsPage(document);
  app.get('/v1/openapi.json', (c) => c.json({ ...document, servers: [{ url: serverUrl(c, deps.env.PUBLIC_BASE_URL) }] }));
  app.get('/docs', (c) => c.html(page));
}

/** The body of GET /v1/workflows, built once per catalog. */
export function workflowListBody(deps: Pick<ProducerDeps, 'catalog'>): WorkflowList {
  return { workflows: describeWorkflows(deps.catalog) };
}

function serverUrl(c: Context<AppEnv>, publicBaseUrl: string | undefined): string {
  return publicBaseUrl ? publicBaseUrl.replace(/\/+$/, '') : new URL(c.req.url).origin;
}

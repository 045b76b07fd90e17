/**
 * The OpenAPI 3.1 description of the producer, generated from the zod contracts (envelope,
 * answers, webhook bodies) and each registered workflow's payload schema. Built once per
 * catalog; GET /v1/openapi.json adds the server URL of the request.
 */
import { Envelope, EnvelopeContext, EnvelopeMeta, ExternalCall, OutputContract, Subject } from '@revos/envelope';
import type { ManifestCatalog } from '@revos/runtime';
import type { z } from 'zod';
import {
  ConsentChange,
  ConsentList,
  ConsentSetAnswer,
  ErrorBody,
  HealthAnswer,
  PolicyChangeBody,
  PolicyView,
  RunAccepted,
  RunDetail,
  RunRefused,
  RunTree,
  TaskActionAnswer,
  TaskActionRequest,
  TaskList,
  TaskRefused,
  WorkflowList,
} from '../../contracts/api.js';
import { RunOptions } from '../../services/submit.js';
import { PostmarkEvent, PostmarkInbound } from '../webhooks/email-webhook.js';
import { GenericWebhookBody } from '../webhooks/generic-webhook.js';
import { TwilioSmsForm } from '../webhooks/sms-webhook.js';
import { TwilioVoiceForm } from '../webhooks/voice-webhook.js';
import { TwilioStatusForm } from '../webhooks/status-webhook.js';
import { renderSchema, type JsonSchema } from './json-schema.js';
import { ROUTES, type RouteDoc } from './routes.js';
import { workflowEntries, type WorkflowEntry } from './workflows.js';

/** The document's own version: bump it when a route or contract changes. */
export const API_DOCUMENT_VERSION = '1.0.0';

/**
 * meta fields intake fills when absent (complete-envelope.ts in @revos/runtime): a submission may
 * leave them out. Every other field of EnvelopeMeta is required of the caller.
 */
export const META_FILLED_AT_INTAKE = [
  'workflow_version',
  'workflow_run_id',
  'parent_run_id',
  'root_run_id',
  'idempotency_key',
  'timestamp_utc',
  'tenant_id',
  'correlation_id',
] as const;

export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Component name of a workflow version's payload (OpenAPI allows letters, digits, `.`, `-`, `_`). */
export function payloadComponent(name: string, version: string): string {
  return `Payload.${name}.${version.replace(/[^A-Za-z0-9.\-_]/g, '_')}`;
}

function submitComponent(name: string, version: string): string {
  return `SubmitRun.${name}.${version.replace(/[^A-Za-z0-9.\-_]/g, '_')}`;
}

/** The body of POST /v1/runs for one workflow version: meta names it, payload is its schema. */
function submitSchema(entry: WorkflowEntry): JsonSchema {
  const meta: JsonSchema = {
    allOf: [ref('SubmitMeta')],
    properties: { workflow_name: { const: entry.name }, workflow_version: { const: entry.version } },
    // Without a version the newest registered one runs, so an older version must be named.
    required: entry.latest ? ['workflow_name'] : ['workflow_name', 'workflow_version'],
  };
  return {
    type: 'object',
    description: `Runs ${entry.name}@${entry.version}${entry.latest ? ' (the newest version: meta.workflow_version may be left out)' : ''}; lane ${entry.lane}.`,
    properties: {
      meta,
      subject: ref('Subject'),
      payload: ref(payloadComponent(entry.name, entry.version)),
      context: ref('EnvelopeContext'),
      options: ref('RunOptions'),
    },
    required: ['meta', 'subject', 'payload'],
    additionalProperties: false,
  };
}

/** EnvelopeMeta as a caller submits it: the fields intake fills become optional. */
function submitMetaSchema(): { schema: JsonSchema; defs: Record<string, JsonSchema> } {
  const rendered = renderSchema('SubmitMeta', EnvelopeMeta);
  const filled = new Set<string>(META_FILLED_AT_INTAKE);
  const required = (rendered.schema.required as string[] | undefined) ?? [];
  return {
    schema: {
      ...rendered.schema,
      description: 'Envelope meta (convention §1 A). Fields intake fills when absent: ' + [...filled].join(', ') + '. meta.tenant_id, if given, must be the API key\'s tenant.',
      required: required.filter((f) => !filled.has(f)),
    },
    defs: rendered.defs,
  };
}

const STRING: JsonSchema = { type: 'string' };

function operation(route: RouteDoc): Record<string, unknown> {
  const parameters = [
    ...(route.pathParams ?? []).map((p) => ({ name: p.name, in: 'path', required: true, description: p.description, schema: p.schema ?? STRING })),
    ...(route.queryParams ?? []).map((p) => ({ name: p.name, in: 'query', required: false, description: p.description, schema: p.schema ?? STRING })),
    ...(route.headerParams ?? []).map((p) => ({ name: p.name, in: 'header', required: p.required ?? true, description: p.description, schema: p.schema ?? STRING })),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    const schema = r.schema === undefined ? STRING : typeof r.schema === 'string' ? ref(r.schema) : r.schema;
    responses[status] = {
      description: r.description,
      ...(r.headers ? { headers: r.headers } : {}),
      ...(r.schema !== undefined || r.contentType ? { content: { [r.contentType ?? 'application/json']: { schema } } } : {}),
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.security.map((s) => ({ [s]: [] })),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.requestBody
      ? { requestBody: { required: route.requestBody.required ?? true, content: { [route.requestBody.contentType]: { schema: ref(route.requestBody.schema) } } } }
      : {}),
    responses,
  };
}

/** Builds the document for a catalog (reference workflows plus a deployment's own). */
export function buildOpenApiDocument(catalog: ManifestCatalog): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {};
  const add = (name: string, schema: z.ZodType) => {
    const rendered = renderSchema(name, schema);
    schemas[name] = rendered.schema;
    Object.assign(schemas, rendered.defs);
  };
  const submitMeta = submitMetaSchema();
  schemas.SubmitMeta = submitMeta.schema;
  Object.assign(schemas, submitMeta.defs);
  add('Subject', Subject);
  add('EnvelopeContext', EnvelopeContext);
  add('RunOptions', RunOptions);
  add('RunAccepted', RunAccepted);
  add('RunRefused', RunRefused);
  add('Error', ErrorBody);
  add('RunDetail', RunDetail);
  add('RunTree', RunTree);
  // The stored documents a run answers with (contracts/api.ts marks where they appear).
  add('Envelope', Envelope);
  add('OutputContract', OutputContract);
  add('ExternalCall', ExternalCall);
  add('WorkflowList', WorkflowList);
  add('PolicyView', PolicyView);
  add('PolicyChangeBody', PolicyChangeBody);
  add('ConsentChange', ConsentChange);
  add('ConsentSetAnswer', ConsentSetAnswer);
  add('ConsentList', ConsentList);
  add('TaskList', TaskList);
  add('TaskActionRequest', TaskActionRequest);
  add('TaskActionAnswer', TaskActionAnswer);
  add('TaskRefused', TaskRefused);
  add('Health', HealthAnswer);
  add('GenericWebhookBody', GenericWebhookBody);
  add('TwilioSmsForm', TwilioSmsForm);
  add('TwilioVoiceForm', TwilioVoiceForm);
  add('TwilioStatusForm', TwilioStatusForm);
  add('PostmarkInbound', PostmarkInbound);
  add('PostmarkEvent', PostmarkEvent);

  const entries = workflowEntries(catalog);
  for (const entry of entries) {
    add(payloadComponent(entry.name, entry.version), entry.payload);
    schemas[submitComponent(entry.name, entry.version)] = submitSchema(entry);
  }
  // meta.workflow_name (a const in each branch) is what tells the branches apart. OpenAPI's
  // `discriminator` can only name a top-level property, so none is declared: see redocly.yaml.
  schemas.SubmitRun = {
    description:
      'A partial envelope naming a registered workflow, with that workflow\'s payload, and optional run options. ' +
      'The branches are told apart by meta.workflow_name (and meta.workflow_version where a workflow has several versions).',
    oneOf: entries.map((e) => ref(submitComponent(e.name, e.version))),
  };

  const paths: OpenApiDocument['paths'] = {};
  for (const route of ROUTES) {
    paths[route.path] ??= {};
    paths[route.path]![route.method] = operation(route);
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'RevOS producer API',
      version: API_DOCUMENT_VERSION,
      description:
        'Submit workflow runs (Orchestration Convention v1.0 envelopes), explore them, and receive vendor webhooks. ' +
        'Every /v1 route except this document takes `Authorization: Bearer <api key>`; the key decides the tenant.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [
      { name: 'runs', description: 'Submit and explore runs, the tenant\'s policy and consents (tenant API key).' },
      { name: 'tasks', description: 'Escalation tasks staff work through (tenant API key).' },
      { name: 'description', description: 'This document, its docs page and the workflow list.' },
      { name: 'webhooks', description: 'Vendor webhooks, authenticated by their signatures.' },
      { name: 'operations', description: 'Health and metrics. The operator pages under /admin are not part of this API (docs/operations.md).' },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (`npx revos tenants create <tenant_id>`).' },
        adminBasic: { type: 'http', scheme: 'basic', description: 'ADMIN_USER / ADMIN_PASSWORD.' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN.' },
        twilioSignature: { type: 'apiKey', in: 'header', name: 'X-Twilio-Signature', description: 'Base64 HMAC of the URL as requested and the sorted form params: SHA-1 with TWILIO_AUTH_TOKEN, or (with X-Twilio-Webhooks-Signature-Settings) the algorithm it names with TWILIO_WEBHOOK_SHARED_KEY_SECRET. As the official twilio library validates it.' },
        postmarkBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'Per tenant: user postmark, password derived from POSTMARK_WEBHOOK_SECRET and the tenant id (`revos email webhook-urls <tenant_id>` prints the URLs to give Postmark).',
        },
        revosSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Revos-Signature',
          description: 'v1=<hex HMAC-SHA256(WEBHOOK_SIGNING_SECRET, X-Revos-Timestamp + "." + path + "." + raw body)>.',
        },
      },
    },
  };
}

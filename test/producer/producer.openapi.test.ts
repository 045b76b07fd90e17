/**
 * The API description: GET /v1/openapi.json is a well-formed OpenAPI 3.1 document describing every
 * route the producer serves and every registered workflow's payload; the producer's real answers
 * match the schemas it documents; GET /v1/workflows and the docs page say the same.
 */
import { createApiKey } from '@revos/db';
import { ErrorBody, payloadComponent, RunAccepted, RunDetailSchema, RunRefused, RunTreeSchema, UNDOCUMENTED_ROUTE_PREFIXES, WorkflowList, type OpenApiDocument } from '@revos/producer';
import { defineWorkflow, payloadSchemaOf } from '@revos/runtime';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from './helpers.js';

/** A deployment's own workflow: it must be described like the reference ones. */
const ownWorkflow = defineWorkflow({
  name: 'WF98_Own_Reminder',
  version: '2.1.0',
  lane: 'batch',
  payload: z.object({ reminder_kind: z.enum(['recall', 'balance']), days_ahead: z.number().int().min(1).max(30) }).strict(),
  async run() {
    return { summary: 'nothing to do' };
  },
});

let h: Harness;
let p: TestProducer;
let key: string;
let doc: OpenApiDocument;

beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [ownWorkflow] });
  key = await createApiKey(h.db.sql, TENANT);
  p = await startTestProducer(h, {}, [ownWorkflow]);
  const res = await fetch(`${p.url}/v1/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApiDocument;
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

type Operation = {
  operationId: string;
  summary: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

function operations(): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method, path, op: op as Operation })));
}

/** Every `$ref` anywhere in the document, with where it was found. */
function refs(value: unknown, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => refs(v, `${at}/${i}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [{ ref: v, at }] : refs(v, `${at}/${k}`)));
}

/** Hono's `/v1/runs/:id` as an OpenAPI template `/v1/runs/{id}`. */
const template = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1');

const get = async (path: string, apiKey: string | null = key) => {
  const res = await fetch(`${p.url}${path}`, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

describe('GET /v1/openapi.json', () => {
  it('is a public OpenAPI 3.1 document naming this server', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toMatchObject({ info: { title: expect.any(String), version: expect.stringMatching(/^\d+\.\d+\.\d+$/) } });
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc.servers).toEqual([{ url: p.url }]);
  });

  it('has the shape OpenAPI requires: unique operation ids, described responses, declared path parameters, known tags and security schemes', () => {
    const ids = operations().map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set((doc.tags as { name: string }[]).map((t) => t.name));
    for (const { method, path, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(['get', 'post', 'put', 'patch', 'delete'], where).toContain(method);
      expect(path, where).toMatch(/^\//);
      expect(op.summary, where).toBeTruthy();
      expect(op.tags.every((t) => tags.has(t)), where).toBe(true);
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      for (const [status, r] of Object.entries(op.responses)) {
        expect(status, where).toMatch(/^[1-5]\d\d$/);
        expect(r.description, `${where} ${status}`).toBeTruthy();
      }
      for (const s of op.security) for (const scheme of Object.keys(s)) expect(doc.components.securitySchemes, where).toHaveProperty(scheme);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((x) => x.in === 'path');
      expect(declared.map((x) => x.name).sort(), where).toEqual([...templated].sort());
      expect(declared.every((x) => x.required), where).toBe(true);
    }
    for (const name of Object.keys(doc.components.schemas)) expect(name).toMatch(/^[A-Za-z0-9.\-_]+$/);
  });

  it('resolves every $ref to a schema in the document', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(20);
    const broken = all.filter(({ ref }) => {
      const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
      return !m || !(m[1]! in doc.components.schemas);
    });
    expect(broken).toEqual([]);
  });

  it('describes every route the producer serves, and nothing it does not', () => {
    // Middleware (app.use) is listed as method ALL; the operator's pages under /admin are left out on purpose.
    const served = new Set(
      p.app.routes
        .filter((r) => r.method !== 'ALL' && !UNDOCUMENTED_ROUTE_PREFIXES.some((prefix) => r.path === prefix || r.path.startsWith(`${prefix}/`)))
        .map((r) => `${r.method.toLowerCase()} ${template(r.path)}`),
    );
    const described = new Set(operations().map((o) => `${o.method} ${o.path}`));
    expect([...served].filter((r) => !described.has(r)).sort()).toEqual([]);
    expect([...described].filter((r) => !served.has(r)).sort()).toEqual([]);
    expect(served.has('post /v1/runs')).toBe(true);
  });

  it("holds each registered workflow version's payload schema, own workflows included, and one SubmitRun branch per version", () => {
    const schemas = doc.components.schemas;
    const branches = (schemas.SubmitRun!.oneOf as { $ref: string }[]).map((r) => r.$ref);
    for (const [name, version] of [['WF18_Schedule', '1.1.0'], ['WF11_Log_Event', '1.0.0'], ['WF98_Own_Reminder', '2.1.0']] as const) {
      const component = payloadComponent(name, version);
      const { $schema: _, ...expected } = z.toJSONSchema(payloadSchemaOf(h.catalog, name, version)!, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      expect(schemas[component]).toEqual(expected);
      expect(branches).toContain(`#/components/schemas/SubmitRun.${name}.${version}`);
    }
    expect(schemas[payloadComponent('WF98_Own_Reminder', '2.1.0')]).toMatchObject({
      properties: { reminder_kind: { enum: ['recall', 'balance'] }, days_ahead: { type: 'integer', minimum: 1, maximum: 30 } },
      required: ['reminder_kind', 'days_ahead'],
      additionalProperties: false,
    });
    const post = doc.paths['/v1/runs']!.post as Operation;
    expect(post.requestBody?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/SubmitRun' });
    expect(Object.keys(post.responses).sort()).toEqual(['200', '202', '400', '401', '403', '404', '409', '413', '415', '500', '503']);
  });

  it('documents as required exactly the meta fields a caller must send: a submission with only those is accepted', async () => {
    const required = (doc.components.schemas.SubmitMeta!.required as string[]).sort();
    expect(required).toEqual(['environment', 'privacy_mode', 'trigger_id', 'trigger_source', 'workflow_name']);
    const meta = { workflow_name: 'WF98_Own_Reminder', trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' };
    expect(Object.keys(meta).sort()).toEqual(required);
    const res = await fetch(`${p.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ meta, subject: {}, payload: { reminder_kind: 'recall', days_ahead: 7 } }),
    });
    expect(res.status).toBe(202);
    const accepted = RunAccepted.parse(await res.json());
    // The answers match the schemas the document publishes.
    const run = await h.waitForRun(accepted.workflow_run_id);
    expect(run.status).toBe('ok');
    RunDetailSchema.parse(JSON.parse((await get(`/v1/runs/${accepted.workflow_run_id}`)).text));
    RunTreeSchema.parse(JSON.parse((await get(`/v1/runs/${accepted.workflow_run_id}/tree`)).text));
    ErrorBody.parse(JSON.parse((await get('/v1/runs/wr_MISSING')).text));
    const refusedRes = await fetch(`${p.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ meta: { ...meta, trigger_id: `ui:${ulid()}` }, subject: {}, payload: { reminder_kind: 'recall', days_ahead: 99 } }),
    });
    expect(refusedRes.status).toBe(400);
    expect(RunRefused.parse(await refusedRes.json()).issues).toEqual([expect.objectContaining({ path: 'payload.days_ahead', rule: 'too_big' })]);
  });
});

describe('GET /v1/workflows', () => {
  it('needs an API key', async () => {
    expect((await get('/v1/workflows', null)).status).toBe(401);
  });

  it('lists every registered version with its lane, budget and payload schema', async () => {
    const res = await get('/v1/workflows');
    expect(res.status).toBe(200);
    const { workflows } = WorkflowList.parse(JSON.parse(res.text));
    const names = workflows.map((w) => `${w.name}@${w.version}`);
    expect(names).toEqual(expect.arrayContaining(['WF11_Log_Event@1.0.0', 'WF18_Schedule@1.1.0', 'WF30_Send_SMS@1.1.0', 'WF98_Own_Reminder@2.1.0']));
    expect(new Set(names).size).toBe(names.length);
    const own = workflows.find((w) => w.name === 'WF98_Own_Reminder')!;
    expect(own).toMatchObject({ version: '2.1.0', latest: true, lane: 'batch', channel: 'batch', latency_budget_ms: null, outbound: null });
    expect(own.payload_schema).toMatchObject({ type: 'object', required: ['reminder_kind', 'days_ahead'] });
    const sms = workflows.find((w) => w.name === 'WF30_Send_SMS')!;
    expect(sms).toMatchObject({ lane: 'interactive', channel: 'sms', latency_budget_ms: 8000, outbound: 'sms' });
    expect(sms.payload_schema).toMatchObject({ properties: { to: { type: 'string' } } });
    // The same schemas as the OpenAPI document.
    const { $schema: _, ...inDoc } = own.payload_schema;
    expect(doc.components.schemas[payloadComponent('WF98_Own_Reminder', '2.1.0')]).toEqual(inDoc);
  });
});

describe('GET /docs', () => {
  it('is one self-contained HTML page listing every operation and workflow payload, fetching nothing', async () => {
    const page = await get('/docs', null);
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    for (const { method, path, op } of operations()) {
      expect(page.text).toContain(`id="op-${op.operationId}"`);
      expect(page.text).toContain(`${method.toUpperCase()}</span> <code>${path}</code>`);
    }
    expect(page.text).toContain(payloadComponent('WF98_Own_Reminder', '2.1.0'));
    expect(page.text).toContain('href="/v1/openapi.json"');
    // Nothing loaded from elsewhere (a closed network must see the whole page), and no script at all.
    expect(page.text).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });
});

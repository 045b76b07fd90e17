/**
 * @revos/client against a running producer (real HTTP, PostgreSQL and Redis), and through a
 * faulty network in front of it: a lost answer, a 503, a hang. Submitting must never make a
 * second run, and every failure must come back as a typed error naming what went wrong.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRevosClient, isRevosApiError, isRevosRequestError, RevosApiError, type RevosClient, type ReferenceWorkflowPayloads } from '@revos/client';
import { createApiKey } from '@revos/db';
import { defineWorkflow } from '@revos/runtime';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';

/** A deployment's own workflow, typed into the client by its own payload map. */
const WF97Payload = z.object({ note_ref: z.string().regex(/^n_[0-9]+$/) }).strict();
const ownWorkflow = defineWorkflow({
  name: 'WF97_Own_Note',
  version: '1.0.0',
  lane: 'interactive',
  payload: WF97Payload,
  async run(ctx) {
    return { summary: 'note seen', primary_outputs: { note_ref: ctx.payload.note_ref }, phi_touched: false };
  },
});
/** A real-time workflow (its lane publishes replies) that takes `think_ms` to answer. */
const PingPayload = z.object({ think_ms: z.number().int().min(0).max(5_000) }).strict();
const pingWorkflow = defineWorkflow({
  name: 'WF96_Own_Ping',
  version: '1.0.0',
  lane: 'realtime',
  channel: 'ui',
  payload: PingPayload,
  async run(ctx) {
    await new Promise((resolve) => setTimeout(resolve, ctx.payload.think_ms));
    return { summary: 'pong', primary_outputs: { pong: true }, phi_touched: false };
  },
});
type Payloads = ReferenceWorkflowPayloads & { WF97_Own_Note: z.input<typeof WF97Payload>; WF96_Own_Ping: z.input<typeof PingPayload> };

let h: Harness;
let p: TestProducer;
let key: string;
let revos: RevosClient<Payloads>;

beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [ownWorkflow, pingWorkflow] });
  key = await createApiKey(h.db.sql, TENANT);
  p = await startTestProducer(h, {}, [ownWorkflow, pingWorkflow]);
  revos = createRevosClient<Payloads>({ baseUrl: p.url, apiKey: key, retryBaseMs: 1 });
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

const meta = <N extends keyof Payloads & string>(workflow_name: N) =>
  ({ workflow_name, trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' }) as const;

async function acceptedCount(idempotencyKey: string): Promise<number> {
  const [row] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from accepted_runs where idempotency_key = ${idempotencyKey}`;
  return row!.n;
}

describe('@revos/client against a running producer', () => {
  it('submits a typed run, answers its resubmission as the same run, and reads the run and its tree', async () => {
    const body = { meta: meta('WF11_Log_Event'), payload: { event_type: 'note.added', direction: 'internal' as const, attributes: { ref: 'n_1' } } };
    const first = await revos.submitRun(body);
    expect(first).toMatchObject({ status: 'queued', workflow_run_id: expect.stringMatching(/^wr_/) });
    const again = await revos.submitRun(body);
    expect(again).toEqual({ ...first, status: 'duplicate' });
    expect(await acceptedCount(first.idempotency_key)).toBe(1);

    await h.waitForRun(first.workflow_run_id);
    const detail = await revos.getRun(first.workflow_run_id);
    expect(detail.run).toMatchObject({ workflow_run_id: first.workflow_run_id, workflow_name: 'WF11_Log_Event', status: 'ok', tenant_id: TENANT });
    expect(detail.events.map((e) => e.event_type)).toEqual(['note.added']);
    const tree = await revos.getRunTree(first.workflow_run_id);
    expect(tree.root_run_id).toBe(first.workflow_run_id);
    expect(tree.tree).toMatchObject({ workflow_run_id: first.workflow_run_id, children: [] });
  });

  it("runs a deployment's own workflow typed by its own payload map, and lists it among the workflows", async () => {
    const run = await revos.submitRun({ meta: meta('WF97_Own_Note'), subject: {}, payload: { note_ref: 'n_42' } });
    expect((await h.waitForRun(run.workflow_run_id)).status).toBe('ok');
    const workflows = await revos.listWorkflows();
    expect(workflows.find((w) => w.name === 'WF97_Own_Note')).toMatchObject({ version: '1.0.0', lane: 'interactive', latest: true });
    const doc = await revos.openApiDocument();
    expect(doc.openapi).toBe('3.1.0');
  });

  it('throws RevosApiError naming every failing payload field for a refused run, and records nothing', async () => {
    const body = { meta: meta('WF11_Log_Event'), payload: { event_type: 'note.added', direction: 'sideways' } };
    // @ts-expect-error direction is not one of the workflow's enum values: caught at compile time too.
    const refused = await revos.submitRun(body).catch((e: unknown) => e);
    expect(isRevosApiError(refused)).toBe(true);
    const error = refused as RevosApiError;
    expect(error).toMatchObject({ name: 'RevosApiError', status: 400, error: 'invalid_envelope', request: 'POST /v1/runs' });
    expect(error.issues).toEqual([expect.objectContaining({ path: 'payload.direction', rule: 'invalid_enum' })]);
    expect(error.message).toContain('payload.direction invalid_enum');
  });

  it('throws RevosApiError for an unknown run (404), an unknown workflow (404) and a wrong key (401)', async () => {
    await expect(revos.getRun('wr_NOSUCHRUN')).rejects.toMatchObject({ name: 'RevosApiError', status: 404, error: 'not_found' });
    await expect(revos.getRunTree('wr_NOSUCHRUN')).rejects.toMatchObject({ status: 404, error: 'not_found' });
    const untyped = createRevosClient<Record<string, object>>({ baseUrl: p.url, apiKey: key });
    await expect(untyped.submitRun({ meta: { ...meta('WF11_Log_Event'), workflow_name: 'WF96_Not_Here' }, payload: {} })).rejects.toMatchObject({
      status: 404,
      error: 'unknown_workflow',
      issues: [expect.objectContaining({ path: 'meta.workflow_name' })],
    });
    const stranger = createRevosClient({ baseUrl: p.url, apiKey: 'rvk_not-a-key' });
    await expect(stranger.listWorkflows()).rejects.toMatchObject({ status: 401, error: 'unauthorized' });
  });

  it('refuses a bad configuration at construction, naming the option', () => {
    expect(() => createRevosClient({ baseUrl: 'not a url', apiKey: key })).toThrow(/baseUrl/);
    expect(() => createRevosClient({ baseUrl: 'ftp://example.com', apiKey: key })).toThrow(/baseUrl/);
    expect(() => createRevosClient({ baseUrl: p.url, apiKey: '' })).toThrow(/apiKey/);
    expect(() => createRevosClient({ baseUrl: p.url, apiKey: key, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createRevosClient({ baseUrl: p.url, apiKey: key, retries: -1 })).toThrow(/retries/);
  });

  it('only takes the workflow names and payloads its payload map knows (compile-time)', () => {
    // These lines are checked by `tsc` (npm test's typecheck); they are never sent.
    const typed = (): unknown[] => [
      // @ts-expect-error not a workflow of the map
      revos.submitRun({ meta: { ...meta('WF11_Log_Event'), workflow_name: 'WF99_Typo' }, payload: {} }),
      // @ts-expect-error WF18_Schedule needs slot_start
      revos.submitRun({ meta: meta('WF18_Schedule'), payload: { practice_id: 'prac_1' } }),
      // @ts-expect-error WF97_Own_Note's note_ref is a string
      revos.submitRun({ meta: meta('WF97_Own_Note'), payload: { note_ref: 42 } }),
    ];
    expect(typeof typed).toBe('function');
  });
});

/** A faulty network in front of the producer: each request is handled by the next planned fault, then passed through. */
class FaultyNetwork {
  private server!: Server;
  readonly faults: ('cut_after_forward' | 'unavailable' | 'hang' | 'cut_before_forward')[] = [];
  forwarded = 0;
  /** Requests that reached the network, whatever their fault. */
  received = 0;
  url = '';

  async start(target: string): Promise<void> {
    this.server = createServer((req, res) => void this.handle(target, req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(target: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.received += 1;
    const fault = this.faults.shift();
    if (fault === 'hang') return; // never answers: the client's timeout must end it
    if (fault === 'cut_before_forward') return void req.socket.destroy();
    if (fault === 'unavailable') return void res.writeHead(503, { 'retry-after': '0', 'content-type': 'text/html' }).end('<h1>upstream down</h1>');
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => ['authorization', 'content-type', 'accept'].includes(k))) as Record<string, string>;
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    this.forwarded += 1;
    const text = await answer.text();
    // The producer did the work; the answer is lost on the way back.
    if (fault === 'cut_after_forward') return void req.socket.destroy();
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('@revos/client through a faulty network', () => {
  let net: FaultyNetwork;
  beforeAll(async () => {
    net = new FaultyNetwork();
    await net.start(p.url);
  });
  afterAll(() => net?.close());

  const client = (o: { retries?: number; timeoutMs?: number } = {}) => createRevosClient<Payloads>({ baseUrl: net.url, apiKey: key, retryBaseMs: 1, ...o });

  it('retries a submission whose answer was lost, and gets the same run back as a duplicate: one run, not two', async () => {
    net.faults.push('cut_after_forward');
    const before = net.forwarded;
    const run = await client().submitRun({ meta: meta('WF97_Own_Note'), payload: { note_ref: 'n_7' } });
    expect(net.forwarded - before).toBe(2); // the producer saw both attempts
    expect(run.status).toBe('duplicate'); // the second was answered with the first's run
    expect(await acceptedCount(run.idempotency_key)).toBe(1);
    const [runs] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from workflow_runs where idempotency_key = ${run.idempotency_key}`;
    expect(runs!.n).toBe(1);
    expect((await h.waitForRun(run.workflow_run_id)).status).toBe('ok');
  });

  it('retries a 503 and a dropped connection, then succeeds', async () => {
    net.faults.push('unavailable', 'cut_before_forward');
    const run = await client().submitRun({ meta: meta('WF97_Own_Note'), payload: { note_ref: 'n_8' } });
    expect(run.status).toBe('queued');
  });

  it('gives up with RevosRequestError after its retries, naming the request and the last status', async () => {
    net.faults.push('unavailable', 'unavailable');
    const error = await client({ retries: 1 }).listWorkflows().catch((e: unknown) => e);
    expect(isRevosRequestError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'RevosRequestError', request: 'GET /v1/workflows', status: 503 });
    expect((error as Error).message).toContain('2 attempt(s)');
  });

  it('ends a request that never gets an answer at its timeout, as RevosRequestError', async () => {
    net.faults.push('hang');
    const error = await client({ retries: 0, timeoutMs: 300 }).getRun('wr_ANY').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'RevosRequestError', request: 'GET /v1/runs/wr_ANY', status: null });
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    net.faults.push('hang');
    const controller = new AbortController();
    const arrived = net.received + 1;
    const pending = client({ retries: 5 }).getRun('wr_ANY', { signal: controller.signal }).catch((e: unknown) => e);
    while (net.received < arrived) await new Promise((r) => setTimeout(r, 5));
    // The request hangs at the network; only the caller's abort can end it (no timeout is near).
    controller.abort(new Error('caller gave up'));
    expect(await pending).toMatchObject({ message: 'caller gave up' });
    expect(net.received).toBe(arrived);
  });

  it('never retries a refusal (4xx)', async () => {
    const before = net.forwarded;
    await expect(client().getRun('wr_NOSUCHRUN')).rejects.toMatchObject({ status: 404 });
    expect(net.forwarded - before).toBe(1);
  });
});

describe('@revos/client: waiting for a run', () => {
  it('answers with the output once the run ended within waitMs, and a repeat of a finished trigger at once', async () => {
    const body = { meta: meta('WF96_Own_Ping'), payload: { think_ms: 50 } };
    const answered = await revos.submitRun(body, { waitMs: 20_000 });
    expect(answered).toMatchObject({ status: 'queued', run_status: 'ok' });
    const output = answered.output as { result: { status: string; primary_outputs: Record<string, unknown> }; meta_out: { workflow_run_id: string } };
    expect(output.result).toMatchObject({ status: 'ok', primary_outputs: { pong: true } });
    expect(output.meta_out.workflow_run_id).toBe(answered.workflow_run_id);
    const again = await revos.submitRun(body, { waitMs: 20_000 });
    expect(again).toMatchObject({ status: 'duplicate', workflow_run_id: answered.workflow_run_id, run_status: 'ok' });
    expect(again.output).toEqual(answered.output);
  });

  it('answers a run of a lane that publishes no replies when it ends, not at the end of the wait', async () => {
    const answered = await revos.submitRun({ meta: meta('WF97_Own_Note'), payload: { note_ref: 'n_42' } }, { waitMs: 25_000 });
    expect(answered).toMatchObject({ status: 'queued', run_status: 'ok' });
    expect((answered.output as { result: { primary_outputs: Record<string, unknown> } }).result.primary_outputs).toEqual({ note_ref: 'n_42' });
    // The interactive lane publishes no replies here: the row is read again on a growing interval. Had the
    // answer waited for the whole 25 s, this test's own 10 s limit would fail it.
  }, 10_000);

  it('when the wait runs out first, says where the run is and lets it go on', async () => {
    const answered = await revos.submitRun({ meta: meta('WF96_Own_Ping'), payload: { think_ms: 3_000 } }, { waitMs: 100 });
    expect(answered.status).toBe('queued');
    expect(['queued', 'running']).toContain(answered.run_status);
    expect(answered.output).toBeUndefined();
    const run = await h.waitForRun(answered.workflow_run_id, (r) => r.status === 'ok', 20_000);
    expect(run.status).toBe('ok');
  });

  it('refuses a wait out of range: the client before sending, the API with 400 naming wait_ms, and nothing is recorded', async () => {
    const body = { meta: meta('WF96_Own_Ping'), payload: { think_ms: 0 } };
    await expect(revos.submitRun(body, { waitMs: 0 })).rejects.toThrow(/waitMs must be an integer from 1 to 30000/);
    const res = await fetch(`${p.url}/v1/runs?wait_ms=60000`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, subject: {} }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_query', issues: [{ path: 'wait_ms', rule: 'range' }] });
    const [row] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from workflow_runs where trigger_id = ${body.meta.trigger_id}`;
    expect(row!.n).toBe(0);
  });
});

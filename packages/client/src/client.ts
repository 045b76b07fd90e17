/**
 * A typed client of the RevOS producer API on the platform's fetch. Submitting is safe to retry:
 * the idempotency key is derived from the trigger id and the payload, so a retried POST whose
 * first answer was lost is answered as a duplicate naming the same run, never a second run.
 */
import { RevosApiError, RevosRequestError } from './errors.js';
import type { ReferenceWorkflowPayloads } from './reference-workflows.js';
import type { FieldIssue, RunAccepted, RunDetail, RunTree, SubmitRunBody, WorkflowInfo, WorkflowPayloads } from './types.js';

export interface RevosClientOptions {
  /** The producer's base URL, e.g. `https://api.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** A tenant API key (`npx revos tenants create <tenant_id>`). */
  apiKey: string;
  /** Per attempt; default 10 000 ms. */
  timeoutMs?: number;
  /** Extra attempts after a network error, a timeout, a 429 or a 5xx; default 2. 4xx answers are never retried. */
  retries?: number;
  /** First backoff; doubled each retry, with jitter, and a 429's Retry-After as a floor. Default 200 ms. */
  retryBaseMs?: number;
  /** Another fetch (a test double of the network, a proxy-aware one); default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface SubmitOptions extends RequestOptions {
  /**
   * Wait up to this many ms (1..30000) for the run to end, and get its output in the answer
   * (`output`, `run_status`). The run goes on if the wait runs out; the answer then says where it is.
   */
  waitMs?: number;
}

export interface RevosClient<Payloads extends WorkflowPayloads> {
  /** POST /v1/runs. Resolves for 202 queued and 200 duplicate; throws {@link RevosApiError} for a refusal. With `waitMs`, also the run's output once it ended. */
  submitRun<Name extends keyof Payloads & string>(body: SubmitRunBody<Payloads, Name>, options?: SubmitOptions): Promise<RunAccepted>;
  /** GET /v1/runs/{id}: the run, its envelope, output, events, external calls and tasks. */
  getRun(runId: string, options?: RequestOptions): Promise<RunDetail>;
  /** GET /v1/runs/{id}/tree: the lineage from the root. */
  getRunTree(runId: string, options?: RequestOptions): Promise<RunTree>;
  /** GET /v1/workflows: registered names, versions, lanes and payload schemas. */
  listWorkflows(options?: RequestOptions): Promise<WorkflowInfo[]>;
  /** GET /v1/openapi.json. */
  openApiDocument(options?: RequestOptions): Promise<Record<string, unknown>>;
}

const DEFAULTS = { timeoutMs: 10_000, retries: 2, retryBaseMs: 200 };
/** The longest wait the API grants (`wait_ms`). */
export const MAX_WAIT_MS = 30_000;
/** Statuses worth another attempt: rate limited, or the server (or a proxy) failed. */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/**
 * Creates a client. `Payloads` types each workflow's payload: the reference workflows by default;
 * a deployment with its own workflows passes its map, e.g.
 * `createRevosClient<ReferenceWorkflowPayloads & { WF99_Custom: { note: string } }>(…)`.
 */
export function createRevosClient<Payloads extends WorkflowPayloads = ReferenceWorkflowPayloads>(options: RevosClientOptions): RevosClient<Payloads> {
  const base = parseBaseUrl(options.baseUrl);
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') throw new TypeError('createRevosClient: apiKey is required');
  const settings = {
    timeoutMs: positiveInt(options.timeoutMs, 'timeoutMs', DEFAULTS.timeoutMs),
    retries: nonNegativeInt(options.retries, 'retries', DEFAULTS.retries),
    retryBaseMs: nonNegativeInt(options.retryBaseMs, 'retryBaseMs', DEFAULTS.retryBaseMs),
  };
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new TypeError('createRevosClient: no fetch on this platform; pass options.fetch');

  async function call<T>(method: 'GET' | 'POST', path: string, body: unknown, request: RequestOptions | undefined, okStatuses: number[], timeoutMs = settings.timeoutMs): Promise<T> {
    const label = `${method} ${path}`;
    const url = base + path;
    let lastStatus: number | null = null;
    let lastProblem: unknown = null;
    for (let attempt = 0; attempt <= settings.retries; attempt++) {
      if (attempt > 0) await sleep(backoffMs(attempt, settings.retryBaseMs, lastProblem), request?.signal);
      request?.signal?.throwIfAborted();
      const signals = [AbortSignal.timeout(timeoutMs), ...(request?.signal ? [request.signal] : [])];
      let res: Response;
      try {
        res = await doFetch(url, {
          method,
          headers: { authorization: `Bearer ${options.apiKey}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: AbortSignal.any(signals),
        });
      } catch (error) {
        if (request?.signal?.aborted) throw request.signal.reason;
        lastProblem = error;
        continue;
      }
      lastStatus = res.status;
      let text: string;
      try {
        text = await res.text();
      } catch (error) {
        // The answer was cut off: for a POST the run may exist; the retry is answered as its duplicate.
        if (request?.signal?.aborted) throw request.signal.reason;
        lastProblem = error;
        continue;
      }
      if (okStatuses.includes(res.status)) return parseJson<T>(text, label, res.status);
      if (RETRYABLE.has(res.status)) {
        lastProblem = { retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
        continue;
      }
      throw apiError(res.status, text, label);
    }
    const why = lastProblem instanceof Error ? lastProblem.message : lastStatus !== null ? `last answer ${lastStatus}` : 'no answer';
    throw new RevosRequestError(`${label}: no usable answer after ${settings.retries + 1} attempt(s) (${why})`, label, lastStatus, { cause: lastProblem });
  }

  const runPath = (runId: string) => {
    if (typeof runId !== 'string' || runId === '') throw new TypeError('runId is required');
    return `/v1/runs/${encodeURIComponent(runId)}`;
  };

  return {
    submitRun(body, request) {
      const waitMs = request?.waitMs;
      if (waitMs === undefined) return call<RunAccepted>('POST', '/v1/runs', { subject: {}, ...body }, request, [200, 202]);
      if (!Number.isInteger(waitMs) || waitMs < 1 || waitMs > MAX_WAIT_MS) return Promise.reject(new TypeError(`submitRun: waitMs must be an integer from 1 to ${MAX_WAIT_MS}`));
      // The request may take the whole wait: its own timeout must outlast it.
      return call<RunAccepted>('POST', `/v1/runs?wait_ms=${waitMs}`, { subject: {}, ...body }, request, [200, 202], Math.max(settings.timeoutMs, waitMs + 5_000));
    },
    getRun(runId, request) {
      return call<RunDetail>('GET', runPath(runId), undefined, request, [200]);
    },
    getRunTree(runId, request) {
      return call<RunTree>('GET', `${runPath(runId)}/tree`, undefined, request, [200]);
    },
    async listWorkflows(request) {
      return (await call<{ workflows: WorkflowInfo[] }>('GET', '/v1/workflows', undefined, request, [200])).workflows;
    },
    openApiDocument(request) {
      return call<Record<string, unknown>>('GET', '/v1/openapi.json', undefined, request, [200]);
    },
  };
}

function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`createRevosClient: baseUrl must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('createRevosClient: baseUrl must be an http: or https: URL');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function positiveInt(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`createRevosClient: ${name} must be an integer ≥ 1`);
  return value;
}

function nonNegativeInt(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`createRevosClient: ${name} must be an integer ≥ 0`);
  return value;
}

function parseJson<T>(text: string, label: string, status: number): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new RevosRequestError(`${label}: answered ${status} with a body that is not JSON`, label, status);
  }
}

function apiError(status: number, text: string, label: string): RevosApiError {
  let error = `http_${status}`;
  let issues: FieldIssue[] = [];
  try {
    const body = JSON.parse(text) as { error?: unknown; issues?: unknown };
    if (typeof body.error === 'string') error = body.error;
    if (Array.isArray(body.issues)) issues = body.issues as FieldIssue[];
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  return new RevosApiError(status, error, issues, label);
}

function retryAfterMs(header: string | null): number {
  if (!header) return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 0;
}

function backoffMs(attempt: number, baseMs: number, problem: unknown): number {
  const exponential = baseMs * 2 ** (attempt - 1);
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  const floor = typeof problem === 'object' && problem !== null && 'retryAfterMs' in problem ? Number((problem as { retryAfterMs: number }).retryAfterMs) : 0;
  return Math.max(jittered, floor);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

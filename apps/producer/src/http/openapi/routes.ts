/**
 * What each route of the producer does, for the OpenAPI document and the docs page. A test
 * compares this table with the routes the app really serves: a new route without an entry here
 * fails it.
 */

export type SecurityScheme = 'apiKey' | 'adminBasic' | 'adminSession' | 'metricsToken' | 'twilioSignature' | 'revosSignature';

export interface ParamDoc {
  name: string;
  description: string;
  required?: boolean;
}

export interface ResponseDoc {
  description: string;
  /** A component schema name; null: any JSON; absent: no body described (or `contentType` text). */
  schema?: string | null;
  contentType?: string;
}

export interface RouteDoc {
  method: 'get' | 'post' | 'put';
  /** OpenAPI path template (`/v1/runs/{id}`). */
  path: string;
  operationId: string;
  tag: 'runs' | 'description' | 'webhooks' | 'operations';
  summary: string;
  description?: string;
  /** Alternatives: any one of them authenticates. Empty: public. */
  security: SecurityScheme[];
  pathParams?: ParamDoc[];
  queryParams?: ParamDoc[];
  headerParams?: ParamDoc[];
  requestBody?: { contentType: string; schema: string };
  responses: Record<string, ResponseDoc>;
}

const runId: ParamDoc = { name: 'id', description: 'A workflow_run_id (wr_…) of the API key\'s tenant.' };
const tenantId: ParamDoc = { name: 'tenantId', description: 'The tenant the webhook is for (t_…).' };
const unauthorized: ResponseDoc = { description: 'Missing or unknown API key.', schema: 'Error' };
const tooLarge: ResponseDoc = { description: 'payload_too_large: the body is over 1 MiB; answered with Connection: close.', schema: 'Error' };
const notJson: ResponseDoc = { description: 'unsupported_media_type: a body sent without Content-Type: application/json.', schema: 'RunRefused' };
const notFound: ResponseDoc = { description: 'No such run for this tenant (another tenant\'s run is not found either).', schema: 'Error' };
const operatorAuth: SecurityScheme[] = ['adminBasic', 'adminSession'];
const adminDisabled: ResponseDoc = { description: 'Admin disabled (ADMIN_PASSWORD unset).' };
const operatorDenied: ResponseDoc = { description: 'Not logged in: a redirect to /admin/login (pages) or 401 (scripts).' };
const tenantKeysOf: ParamDoc = { name: 'tenant_id', description: 'The tenant (t_…) whose keys these are.' };
const anyId: ParamDoc = { name: 'id', description: 'Any run id, idempotency key, job id, event/task/outbox id, correlation or trigger id; any tenant.' };

export const ROUTES: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/runs',
    operationId: 'submitRun',
    tag: 'runs',
    summary: 'Submit a run',
    description:
      'A partial envelope: intake fills ids, the timestamp, the newest version and the idempotency key when absent, then checks the whole envelope ' +
      'and the workflow\'s own payload schema before answering. The run is recorded durably before the answer.',
    security: ['apiKey'],
    queryParams: [{ name: 'wait_ms', description: 'Wait up to this many ms (1-30000) for the run to end; the answer then carries run_status and, once it ended, its output. The run goes on if the wait runs out. Lanes in REPLY_LANES wake the wait at once (request–reply); runs of other lanes are re-read on a growing interval up to 1 s.' }],
    requestBody: { contentType: 'application/json', schema: 'SubmitRun' },
    responses: {
      '202': { description: 'Queued: a new run.', schema: 'RunAccepted' },
      '200': { description: 'Duplicate: this key was accepted before; names the first run.', schema: 'RunAccepted' },
      '400': { description: 'missing_body, invalid_json, invalid_query (wait_ms out of range), or invalid_envelope listing every failing field (payload fields included, as payload.<field>).', schema: 'RunRefused' },
      '401': unauthorized,
      '403': { description: 'tenant_mismatch: meta.tenant_id is not the API key\'s tenant.', schema: 'RunRefused' },
      '404': { description: 'unknown_workflow.', schema: 'RunRefused' },
      '409': { description: 'idempotency_conflict: the given key was computed for another payload.', schema: 'RunRefused' },
      '413': tooLarge,
      '415': notJson,
    },
  },
  {
    method: 'get',
    path: '/v1/runs/{id}',
    operationId: 'getRun',
    tag: 'runs',
    summary: 'A run with its envelope, output contract, events, external calls and tasks',
    security: ['apiKey'],
    pathParams: [runId],
    responses: { '200': { description: 'The run.', schema: 'RunDetail' }, '401': unauthorized, '404': notFound },
  },
  {
    method: 'get',
    path: '/v1/runs/{id}/tree',
    operationId: 'getRunTree',
    tag: 'runs',
    summary: 'The whole lineage of a run, from its root',
    security: ['apiKey'],
    pathParams: [runId],
    responses: { '200': { description: 'A flat list and the nested tree.', schema: 'RunTree' }, '401': unauthorized, '404': notFound },
  },
  {
    method: 'get',
    path: '/v1/workflows',
    operationId: 'listWorkflows',
    tag: 'description',
    summary: 'Registered workflows: names, versions, lanes and payload schemas',
    security: ['apiKey'],
    responses: { '200': { description: 'Every registered version.', schema: 'WorkflowList' }, '401': unauthorized },
  },
  {
    method: 'get',
    path: '/v1/policy',
    operationId: 'getPolicy',
    tag: 'runs',
    summary: 'The tenant\'s ruleset and feature flags with their versions',
    security: ['apiKey'],
    responses: { '200': { description: 'The current policy.', schema: 'PolicyView' }, '401': unauthorized, '404': { description: 'Tenant not configured.', schema: 'Error' } },
  },
  {
    method: 'put',
    path: '/v1/policy',
    operationId: 'changePolicy',
    tag: 'runs',
    summary: 'Change the ruleset or the feature flags through a WF07_Change_Policy run',
    description: 'Exactly one of ruleset or feature_flags. The change is a run: replayable, audited, one event and one version bump. It is recorded as changed by api:<key id>; changed_by is only your label for your user, kept beside it.',
    security: ['apiKey'],
    requestBody: { contentType: 'application/json', schema: 'PolicyChangeBody' },
    responses: {
      '202': { description: 'The WF07_Change_Policy run was queued.', schema: 'RunAccepted' },
      '200': { description: 'A repeat of the same change: names the first run.', schema: 'RunAccepted' },
      '400': { description: 'missing_body, invalid_json, or invalid_policy naming every failing field.', schema: 'RunRefused' },
      '401': unauthorized,
      '409': { description: 'version_conflict: expected_version is not current.', schema: 'RunRefused' },
      '413': tooLarge,
      '415': notJson,
    },
  },
  {
    method: 'put',
    path: '/v1/consents',
    operationId: 'setConsent',
    tag: 'runs',
    summary: 'Record a subject\'s consent or a number\'s opt-out (or both) for a channel',
    description: 'Idempotent: the same status again changes nothing. Every change writes an event (who, what, when, source).',
    security: ['apiKey'],
    requestBody: { contentType: 'application/json', schema: 'ConsentChange' },
    responses: {
      '200': { description: 'The consent as recorded, and whether it changed.', schema: null },
      '400': { description: 'missing_body, invalid_json, or invalid_body naming every failing field.', schema: 'RunRefused' },
      '401': unauthorized,
      '413': tooLarge,
      '415': notJson,
    },
  },
  {
    method: 'get',
    path: '/v1/consents',
    operationId: 'getConsents',
    tag: 'runs',
    summary: 'Consent on record for a subject or a number',
    security: ['apiKey'],
    queryParams: [
      { name: 'subject', description: 'A patient_id (p_…) or lead_id (l_…).' },
      { name: 'address', description: 'An E.164 number (+1…).' },
    ],
    responses: { '200': { description: 'Per channel: allow, deny or nothing recorded.', schema: null }, '400': { description: 'Neither or a malformed subject/address.', schema: 'RunRefused' }, '401': unauthorized },
  },
  {
    method: 'get',
    path: '/v1/tasks',
    operationId: 'listTasks',
    tag: 'runs',
    summary: 'Escalation tasks of the tenant, oldest first',
    security: ['apiKey'],
    queryParams: [{ name: 'status', description: 'open (default: open and claimed), claimed, done or all.' }, { name: 'limit', description: 'At most this many (default 100).' }],
    responses: { '200': { description: 'The tasks.', schema: null }, '401': unauthorized },
  },
  {
    method: 'post',
    path: '/v1/tasks/{id}/{action}',
    operationId: 'actOnTask',
    tag: 'runs',
    summary: 'Claim, resolve or reopen a task',
    description:
      'resolve takes resolution resolved | dismissed, or for an effect_outcome_unknown task sent | not_sent (settles the effect journal: sent completes it, not_sent allows exactly one new call). ' +
      'Who acted is recorded from the API key (claimed_by / resolved_by = api:<key id>); a body\'s actor is only the caller\'s label for its user, stored apart (claimed_by_label / resolved_by_label).',
    security: ['apiKey'],
    pathParams: [{ name: 'id', description: 'A task id (task_…).' }, { name: 'action', description: 'claim, resolve or reopen.' }],
    requestBody: { contentType: 'application/json', schema: 'TaskActionRequest' },
    responses: {
      '200': { description: 'The task after the change, and whether it changed.', schema: null },
      '400': { description: 'invalid_json, or invalid_body naming the field. The body is optional: an empty one is {}.', schema: 'RunRefused' },
      '401': unauthorized,
      '404': { description: 'No such task for this tenant.', schema: 'Error' },
      '413': tooLarge,
      '415': notJson,
      '409': { description: 'task_claimed, task_done, resolution_not_applicable, no_unsettled_effect, not_unknown or run_in_progress.', schema: 'Error' },
    },
  },
  {
    method: 'get',
    path: '/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'description',
    summary: 'This document (public)',
    security: [],
    responses: { '200': { description: 'OpenAPI 3.1.', schema: null } },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getDocsPage',
    tag: 'description',
    summary: 'This document as a self-contained HTML page (public)',
    security: [],
    responses: { '200': { description: 'HTML, no external resources.', contentType: 'text/html' } },
  },
  {
    method: 'post',
    path: '/webhooks/twilio/{tenantId}/sms',
    operationId: 'twilioSmsWebhook',
    tag: 'webhooks',
    summary: 'Inbound text (Twilio messaging webhook): starts TWILIO_SMS_WORKFLOW',
    description: 'The trigger id is the MessageSid, so Twilio\'s retries are duplicates. A status callback posted here (MessageStatus without Body, or SmsStatus other than received) is recorded as /status records it and starts no TWILIO_SMS_WORKFLOW run. The signature is checked before anything else.',
    security: ['twilioSignature'],
    pathParams: [tenantId],
    requestBody: { contentType: 'application/x-www-form-urlencoded', schema: 'TwilioSmsForm' },
    responses: {
      '200': { description: 'Empty TwiML; X-Revos-Run-Id and X-Revos-Status (queued | duplicate) name the run.', contentType: 'text/xml' },
      '400': { description: 'invalid_body or invalid_envelope, listing every failing field.', schema: 'RunRefused' },
      '403': { description: 'invalid_signature: nothing recorded.', schema: 'Error' },
      '404': { description: 'unknown_tenant or unknown_workflow.', schema: 'Error' },
    },
  },
  {
    method: 'post',
    path: '/webhooks/twilio/{tenantId}/voice',
    operationId: 'twilioVoiceWebhook',
    tag: 'webhooks',
    summary: 'A live call (Twilio voice webhook): the greeting, then each answer runs TWILIO_VOICE_WORKFLOW and gets its reply as TwiML within the voice budget',
    security: ['twilioSignature'],
    pathParams: [tenantId],
    requestBody: { contentType: 'application/x-www-form-urlencoded', schema: 'TwilioVoiceForm' },
    responses: {
      '200': { description: 'TwiML: <Gather> with <Say>, <Dial> to the front desk, or <Hangup>; the WF71 fallback (apology and <Dial>) when the deadline comes first. X-Revos-Reply says which.', contentType: 'text/xml' },
      '400': { description: 'invalid_body or invalid_envelope, listing every failing field.', schema: 'RunRefused' },
      '403': { description: 'invalid_signature: nothing recorded.', schema: 'Error' },
      '404': { description: 'unknown_tenant or unknown_workflow.', schema: 'Error' },
    },
  },
  {
    method: 'post',
    path: '/webhooks/twilio/{tenantId}/status',
    operationId: 'twilioStatusCallback',
    tag: 'webhooks',
    summary: 'Delivery receipts (Twilio status callbacks of texts and calls): each (sid, status) runs WF33_Delivery_Status once',
    description:
      'The StatusCallback the workers give Twilio when PUBLIC_BASE_URL is set. The trigger id is `<sid>:<status>`, so a redelivered callback is a duplicate; the run is a child of the run that sent the text or call. An undelivered or failed status opens a staff task with the reason in words (tenant ruleset `delivery`). The signature is checked before anything else.',
    security: ['twilioSignature'],
    pathParams: [tenantId],
    requestBody: { contentType: 'application/x-www-form-urlencoded', schema: 'TwilioStatusForm' },
    responses: {
      '200': { description: 'Empty TwiML; X-Revos-Run-Id and X-Revos-Status (queued | duplicate) name the run.', contentType: 'text/xml' },
      '400': { description: 'invalid_body: MessageSid (or CallSid) or MessageStatus (or CallStatus) missing or malformed, naming the field.', schema: 'RunRefused' },
      '403': { description: 'invalid_signature: nothing recorded.', schema: 'Error' },
      '404': { description: 'unknown_tenant.', schema: 'Error' },
    },
  },
  {
    method: 'post',
    path: '/webhooks/generic/{tenantId}/{workflow}',
    operationId: 'genericWebhook',
    tag: 'webhooks',
    summary: 'A signed JSON webhook that starts a run of {workflow}',
    security: ['revosSignature'],
    pathParams: [tenantId, { name: 'workflow', description: 'A registered workflow name; its newest version runs.' }],
    headerParams: [{ name: 'X-Revos-Timestamp', description: 'Unix seconds; more than WEBHOOK_TOLERANCE_S away answers 403.' }],
    requestBody: { contentType: 'application/json', schema: 'GenericWebhookBody' },
    responses: {
      '202': { description: 'Queued.', schema: 'RunAccepted' },
      '200': { description: 'Duplicate of an earlier delivery.', schema: 'RunAccepted' },
      '400': { description: 'invalid_json, invalid_body or invalid_envelope (payload fields included), listing every failing field.', schema: 'RunRefused' },
      '403': { description: 'invalid_signature (or a stale timestamp): nothing recorded.', schema: 'Error' },
      '404': { description: 'unknown_tenant or unknown_workflow.', schema: 'Error' },
    },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'operations',
    summary: 'PostgreSQL and Redis answer (public)',
    security: [],
    responses: { '200': { description: '{"status":"ok"}', schema: null }, '503': { description: '{"status":"unavailable"}', schema: null } },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    security: ['metricsToken', ...operatorAuth],
    responses: { '200': { description: 'Prometheus text format.', contentType: 'text/plain' }, '401': operatorDenied, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin',
    operationId: 'adminHome',
    tag: 'operations',
    summary: 'Redirects to the queue board',
    security: operatorAuth,
    responses: { '302': { description: 'To /admin/queues.' }, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin/login',
    operationId: 'adminLoginForm',
    tag: 'operations',
    summary: 'The operator login form',
    security: [],
    queryParams: [{ name: 'next', description: 'Where to go after logging in (a path under /admin).' }],
    responses: { '200': { description: 'HTML form.', contentType: 'text/html' }, '503': adminDisabled },
  },
  {
    method: 'post',
    path: '/admin/login',
    operationId: 'adminLogin',
    tag: 'operations',
    summary: 'Log in: sets the session cookie',
    description: 'Form fields user, password, next. Failed attempts are throttled per client address and per user name (one throttle with basic auth and the metrics token). Refused from another origin.',
    security: [],
    responses: { '303': { description: 'Logged in: to next.' }, '401': { description: 'Wrong user or password.', contentType: 'text/html' }, '403': { description: 'Posted from another origin.' }, '429': { description: 'Too many failed attempts; Retry-After.', contentType: 'text/html' }, '503': adminDisabled },
  },
  { method: 'get', path: '/admin/logout', operationId: 'adminLogoutGet', tag: 'operations', summary: 'Asks to log out (a form that posts to /admin/logout)', security: [], responses: { '200': { description: 'HTML form carrying the session\'s CSRF token.', contentType: 'text/html' }, '303': { description: 'No session: to /admin/login.' } } },
  {
    method: 'post',
    path: '/admin/logout',
    operationId: 'adminLogout',
    tag: 'operations',
    summary: 'Log out: ends the session server-side',
    description: 'Same origin only, with the session\'s CSRF token (form field _csrf).',
    security: [],
    responses: { '303': { description: 'To /admin/login.' }, '403': { description: 'Cross-origin, or the CSRF token is missing or wrong.' } },
  },
  {
    method: 'get',
    path: '/admin/tasks',
    operationId: 'tasksPage',
    tag: 'operations',
    summary: 'Open and claimed escalation tasks by tenant and age, with claim, resolve and reopen',
    security: operatorAuth,
    queryParams: [{ name: 'tenant', description: 'Only this tenant\'s tasks.' }],
    responses: { '200': { description: 'HTML.', contentType: 'text/html' }, '302': operatorDenied, '503': adminDisabled },
  },
  {
    method: 'post',
    path: '/admin/tasks/{tenant}/{id}/{action}',
    operationId: 'tasksPageAction',
    tag: 'operations',
    summary: 'The task page\'s form posts (claim, resolve, reopen)',
    security: operatorAuth,
    pathParams: [{ name: 'tenant', description: 'The task\'s tenant.' }, { name: 'id', description: 'A task id.' }, { name: 'action', description: 'claim, resolve or reopen.' }],
    description: 'Same origin only; with the session cookie, the form carries the session\'s CSRF token (_csrf).',
    responses: { '303': { description: 'Back to the task page.' }, '302': operatorDenied, '403': { description: 'Cross-origin, or the CSRF token is missing or wrong.' }, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin/queues',
    operationId: 'queueBoard',
    tag: 'operations',
    summary: 'Bull Board: every lane\'s queue and the cron queue',
    description: 'Bull Board\'s own pages, assets and JSON API live under /admin/queues/ (read-only unless ADMIN_READ_ONLY=false); they are its internals, not described here.',
    security: operatorAuth,
    responses: { '200': { description: 'HTML.', contentType: 'text/html' }, '302': operatorDenied, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin/api/runs/failed',
    operationId: 'operatorFailedRuns',
    tag: 'operations',
    summary: 'Failed runs of every tenant',
    security: operatorAuth,
    queryParams: [
      { name: 'workflow', description: 'Only this workflow.' },
      { name: 'tenant', description: 'Only this tenant.' },
      { name: 'since', description: '30m, 6h, 2d or an ISO time.' },
      { name: 'limit', description: 'At most this many (1000 at most).' },
    ],
    responses: { '200': { description: '{ runs: [...] }', schema: null }, '400': { description: 'invalid_since.', schema: 'Error' }, '401': operatorDenied, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin/api/tasks',
    operationId: 'operatorOpenTasks',
    tag: 'operations',
    summary: 'Open escalation tasks',
    security: operatorAuth,
    queryParams: [{ name: 'tenant', description: 'Only this tenant.' }],
    responses: { '200': { description: '{ tasks: [...] }', schema: null }, '401': operatorDenied, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant_id}/keys',
    operationId: 'operatorListApiKeys',
    tag: 'operations',
    summary: 'A tenant\'s API keys: public ids, labels, when created and revoked (never a key)',
    security: operatorAuth,
    pathParams: [tenantKeysOf],
    responses: { '200': { description: '{ tenant_id, keys: [{ key_id, tenant_id, label, created_at, revoked_at }] }', schema: null }, '401': operatorDenied, '404': { description: 'unknown_tenant.', schema: 'Error' }, '503': adminDisabled },
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant_id}/keys',
    operationId: 'operatorCreateApiKey',
    tag: 'operations',
    summary: 'Issues a new API key for a tenant, shown in this answer only (stored as sha256)',
    description: 'Body (optional): { "label": "what the key is for" } (letters, digits, spaces and _ . : @ -, 1-80).',
    security: operatorAuth,
    pathParams: [tenantKeysOf],
    responses: {
      '201': { description: '{ key_id, tenant_id, label, created_at, revoked_at: null, api_key }', schema: null },
      '400': { description: 'invalid_json, or invalid_body naming the field.', schema: 'RunRefused' },
      '401': operatorDenied,
      '403': { description: 'Cross-origin, or the CSRF token is missing or wrong.' },
      '404': { description: 'unknown_tenant.', schema: 'Error' },
      '503': adminDisabled,
    },
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant_id}/keys/{key_id}/revoke',
    operationId: 'operatorRevokeApiKey',
    tag: 'operations',
    summary: 'Revokes an API key: every replica answers 401 to it from the next request on',
    description: 'Key lookups are not cached. Revoking a revoked key answers 200 with changed: false and the first revocation\'s time.',
    security: operatorAuth,
    pathParams: [tenantKeysOf, { name: 'key_id', description: 'The key\'s public id (key_…), as listed.' }],
    responses: {
      '200': { description: '{ key: { key_id, revoked_at, ... }, changed }', schema: null },
      '400': { description: 'invalid_key_id.', schema: 'RunRefused' },
      '401': operatorDenied,
      '403': { description: 'Cross-origin, or the CSRF token is missing or wrong.' },
      '404': { description: 'The tenant has no such key.', schema: 'Error' },
      '503': adminDisabled,
    },
  },
  {
    method: 'get',
    path: '/admin/api/runs/{id}',
    operationId: 'operatorRun',
    tag: 'operations',
    summary: 'A run of any tenant, found from any id (redacted for phi_minimized runs)',
    security: operatorAuth,
    pathParams: [anyId],
    responses: { '200': { description: 'The run.', schema: 'RunDetail' }, '404': { description: 'Not found.', schema: 'Error' }, '401': operatorDenied, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin/api/runs/{id}/tree',
    operationId: 'operatorRunTree',
    tag: 'operations',
    summary: 'The lineage of a run of any tenant',
    security: operatorAuth,
    pathParams: [anyId],
    responses: { '200': { description: 'The lineage.', schema: 'RunTree' }, '404': { description: 'Not found.', schema: 'Error' }, '401': operatorDenied, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin/api/runs/{id}/events',
    operationId: 'operatorRunEvents',
    tag: 'operations',
    summary: 'The events of a run of any tenant',
    security: operatorAuth,
    pathParams: [anyId],
    responses: { '200': { description: '{ workflow_run_id, events }', schema: null }, '404': { description: 'Not found.', schema: 'Error' }, '401': operatorDenied, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin/explorer',
    operationId: 'explorerHome',
    tag: 'operations',
    summary: 'The run explorer: failed runs, open tasks, a search box',
    security: operatorAuth,
    queryParams: [{ name: 'id', description: 'Any id: redirects to that run\'s page.' }],
    responses: { '200': { description: 'HTML.', contentType: 'text/html' }, '302': operatorDenied, '503': adminDisabled },
  },
  {
    method: 'get',
    path: '/admin/explorer/runs/{id}',
    operationId: 'explorerRun',
    tag: 'operations',
    summary: 'One run\'s page: detail and lineage',
    security: operatorAuth,
    pathParams: [anyId],
    responses: { '200': { description: 'HTML.', contentType: 'text/html' }, '404': { description: 'HTML: no run found.', contentType: 'text/html' }, '302': operatorDenied, '503': adminDisabled },
  },
];

/**
 * What each route of the producer does, for the OpenAPI document and the docs page. A test
 * compares this table with the routes the app really serves: a new route without an entry here
 * (or under UNDOCUMENTED_ROUTE_PREFIXES) fails it. Every status a route can answer is listed with
 * its body: the contract test replays a session through Prism and fails on anything undocumented.
 */
import { MAX_TASK_LIST_LIMIT, DEFAULT_TASK_LIST_LIMIT } from '../../services/tasks.js';
import { MAX_WAIT_MS } from '../../services/wait-for-run.js';
import { MAX_BODY_BYTES } from '../request-body.js';
import type { JsonSchema } from './json-schema.js';

export type SecurityScheme = 'apiKey' | 'metricsToken' | 'adminBasic' | 'twilioSignature' | 'revosSignature' | 'postmarkBasic';

/**
 * Routes served but left out of the document, for they are nobody's API: the operator's pages and
 * their JSON (/admin/...) are for operators behind the admin login (docs/operations.md); the email
 * unsubscribe pages (/unsubscribe/...) are for a patient's browser and mail client, reached from a
 * link the email carries.
 */
export const UNDOCUMENTED_ROUTE_PREFIXES: readonly string[] = ['/admin', '/unsubscribe'];

export interface ParamDoc {
  name: string;
  description: string;
  required?: boolean;
  /** The parameter's JSON Schema; a string when absent. */
  schema?: JsonSchema;
}

export interface ResponseDoc {
  description: string;
  /** A component schema name, or an inline JSON Schema; absent: no body (or `contentType` text). */
  schema?: string | JsonSchema;
  contentType?: string;
  /** Response headers worth naming (Retry-After, Connection). */
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

export interface RouteDoc {
  method: 'get' | 'post' | 'put';
  /** OpenAPI path template (`/v1/runs/{id}`). */
  path: string;
  operationId: string;
  tag: 'runs' | 'tasks' | 'description' | 'webhooks' | 'operations';
  summary: string;
  description?: string;
  /** Alternatives: any one of them authenticates. Empty: public. */
  security: SecurityScheme[];
  pathParams?: ParamDoc[];
  queryParams?: ParamDoc[];
  headerParams?: ParamDoc[];
  /** `required: false`: an empty body is allowed (read as `{}`). */
  requestBody?: { contentType: string; schema: string; required?: boolean };
  responses: Record<string, ResponseDoc>;
}

const runId: ParamDoc = { name: 'id', description: 'A workflow_run_id (wr_…) of the API key\'s tenant.' };
const tenantId: ParamDoc = { name: 'tenantId', description: 'The tenant the webhook is for (t_…).' };
const unauthorized: ResponseDoc = {
  description: 'unauthorized: the API key is missing, unknown or revoked.',
  schema: 'Error',
  headers: { 'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } } },
};
const tooLarge: ResponseDoc = {
  description: `payload_too_large: the body is over ${MAX_BODY_BYTES} bytes. The body is read and dropped first, then the connection is closed.`,
  schema: 'Error',
  headers: { Connection: { description: 'close', schema: { type: 'string', const: 'close' } } },
};
const notJson: ResponseDoc = { description: 'unsupported_media_type: a body sent without a JSON Content-Type (application/json or application/*+json).', schema: 'RunRefused' };
const notFound: ResponseDoc = { description: 'not_found: no such run for this tenant (another tenant\'s run is not found either).', schema: 'Error' };
const internal: ResponseDoc = { description: 'internal: an unexpected error; nothing about it is in the answer (see the producer\'s log).', schema: 'Error' };
const notConfigured: ResponseDoc = { description: 'privacy_not_configured: the deployment, not the request, must be fixed (a phi_minimized run without the privacy keys).', schema: 'RunRefused' };
const badSignature: ResponseDoc = { description: 'invalid_signature: nothing recorded.', schema: 'Error' };
/** Webhook refusals the intake can give besides the form's own (the same as POST /v1/runs). */
const webhookIntake = {
  '409': { description: 'idempotency_conflict: the trigger was recorded before with another payload.', schema: 'RunRefused' },
  '413': tooLarge,
  '500': internal,
  '503': notConfigured,
} satisfies Record<string, ResponseDoc>;
const twiml = (description: string): ResponseDoc => ({
  description,
  contentType: 'text/xml',
  headers: {
    'X-Revos-Run-Id': { description: 'The run (wr_…).', schema: { type: 'string' } },
    'X-Revos-Status': { description: 'queued or duplicate.', schema: { type: 'string', enum: ['queued', 'duplicate'] } },
  },
});

export const ROUTES: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/runs',
    operationId: 'submitRun',
    tag: 'runs',
    summary: 'Submit a run',
    description:
      'A partial envelope: intake fills ids, the timestamp, the newest version and the idempotency key when absent, then checks the whole envelope ' +
      'and the workflow\'s own payload schema before answering. The run is recorded durably before the answer. ' +
      'meta.workflow_name decides which SubmitRun branch applies (and so which payload schema).',
    security: ['apiKey'],
    queryParams: [
      {
        name: 'wait_ms',
        description: `Wait up to this many ms (1-${MAX_WAIT_MS}) for the run to end; the answer then carries run_status and, once it ended, its output. The run goes on if the wait runs out. Lanes in REPLY_LANES wake the wait at once (request–reply); runs of other lanes are re-read on a growing interval up to 1 s.`,
        schema: { type: 'integer', minimum: 1, maximum: MAX_WAIT_MS },
      },
    ],
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
      '500': internal,
      '503': notConfigured,
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
    responses: { '200': { description: 'The run.', schema: 'RunDetail' }, '401': unauthorized, '404': notFound, '500': internal },
  },
  {
    method: 'get',
    path: '/v1/runs/{id}/tree',
    operationId: 'getRunTree',
    tag: 'runs',
    summary: 'The whole lineage of a run, from its root',
    security: ['apiKey'],
    pathParams: [runId],
    responses: { '200': { description: 'A flat list and the nested tree.', schema: 'RunTree' }, '401': unauthorized, '404': notFound, '500': internal },
  },
  {
    method: 'get',
    path: '/v1/workflows',
    operationId: 'listWorkflows',
    tag: 'description',
    summary: 'Registered workflows: names, versions, lanes and payload schemas',
    security: ['apiKey'],
    responses: { '200': { description: 'Every registered version.', schema: 'WorkflowList' }, '401': unauthorized, '500': internal },
  },
  {
    method: 'get',
    path: '/v1/policy',
    operationId: 'getPolicy',
    tag: 'runs',
    summary: 'The tenant\'s ruleset and feature flags with their versions',
    security: ['apiKey'],
    responses: { '200': { description: 'The current policy.', schema: 'PolicyView' }, '401': unauthorized, '404': { description: 'not_found: the tenant is not configured.', schema: 'Error' }, '500': internal },
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
      '404': { description: 'unknown_tenant: the tenant is not configured.', schema: 'RunRefused' },
      '409': { description: 'version_conflict: expected_version is not current (or idempotency_conflict).', schema: 'RunRefused' },
      '413': tooLarge,
      '415': notJson,
      '500': internal,
      '503': notConfigured,
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
      '200': { description: 'The consent as recorded, and whether it changed.', schema: 'ConsentSetAnswer' },
      '400': { description: 'missing_body, invalid_json, or invalid_consent naming every failing field.', schema: 'RunRefused' },
      '401': unauthorized,
      '413': tooLarge,
      '415': notJson,
      '500': internal,
    },
  },
  {
    method: 'get',
    path: '/v1/consents',
    operationId: 'getConsents',
    tag: 'runs',
    summary: 'Consent on record for a subject or a number (exactly one of the two)',
    security: ['apiKey'],
    queryParams: [
      { name: 'subject', description: 'A patient_id (p_…) or lead_id (l_…).', schema: { type: 'string', pattern: '^(?:p|l)_[A-Za-z0-9_-]{1,80}$' } },
      { name: 'address', description: 'An E.164 number (+1…; encode + as %2B).', schema: { type: 'string' } },
    ],
    responses: {
      '200': { description: 'Per channel: allow or deny; a channel with nothing recorded is absent.', schema: 'ConsentList' },
      '400': { description: 'invalid_query: neither or both, or a malformed subject/address.', schema: 'RunRefused' },
      '401': unauthorized,
      '500': internal,
    },
  },
  {
    method: 'get',
    path: '/v1/tasks',
    operationId: 'listTasks',
    tag: 'tasks',
    summary: 'Escalation tasks of the tenant, oldest first',
    security: ['apiKey'],
    queryParams: [
      {
        name: 'status',
        description: 'all, or open, claimed, done comma-separated (default: open,claimed).',
        schema: { type: 'string', pattern: '^(?:all|(?:open|claimed|done)(?:,(?:open|claimed|done))*)$' },
      },
      {
        name: 'limit',
        description: `At most this many (default ${DEFAULT_TASK_LIST_LIMIT}).`,
        schema: { type: 'integer', minimum: 1, maximum: MAX_TASK_LIST_LIMIT, default: DEFAULT_TASK_LIST_LIMIT },
      },
    ],
    responses: {
      '200': { description: 'The tasks.', schema: 'TaskList' },
      '400': { description: 'invalid_query: a status or limit out of range, naming it.', schema: 'RunRefused' },
      '401': unauthorized,
      '500': internal,
    },
  },
  {
    method: 'post',
    path: '/v1/tasks/{id}/{action}',
    operationId: 'actOnTask',
    tag: 'tasks',
    summary: 'Claim, resolve or reopen a task',
    description:
      'resolve takes resolution resolved | dismissed, or for an effect_outcome_unknown task sent | not_sent (settles the effect journal: sent completes it, not_sent allows exactly one new call). ' +
      'Who acted is recorded from the API key (claimed_by / resolved_by = api:<key id>); a body\'s actor is only the caller\'s label for its user, stored apart (claimed_by_label / resolved_by_label). ' +
      'The body is optional: an empty one is {}.',
    security: ['apiKey'],
    pathParams: [
      { name: 'id', description: 'A task id (task_…).' },
      { name: 'action', description: 'claim, resolve or reopen (another word is a 404).', schema: { type: 'string', enum: ['claim', 'resolve', 'reopen'] } },
    ],
    requestBody: { contentType: 'application/json', schema: 'TaskActionRequest', required: false },
    responses: {
      '200': { description: 'The task after the change; changed: false when it already was so.', schema: 'TaskActionAnswer' },
      '400': { description: 'invalid_json, or invalid_body naming the field.', schema: 'RunRefused' },
      '401': unauthorized,
      '404': { description: 'not_found: no such task for this tenant, or no such action.', schema: 'Error' },
      '409': { description: 'The task cannot take this action now: the rule, in words, and the task.', schema: 'TaskRefused' },
      '413': tooLarge,
      '415': notJson,
      '500': internal,
    },
  },
  {
    method: 'get',
    path: '/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'description',
    summary: 'This document (public)',
    security: [],
    responses: { '200': { description: 'OpenAPI 3.1, naming the server it was fetched from.', schema: { type: 'object', properties: { openapi: { type: 'string' }, info: { type: 'object' }, paths: { type: 'object' } }, required: ['openapi', 'info', 'paths'] } }, '500': internal },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getDocsPage',
    tag: 'description',
    summary: 'This document as a self-contained HTML page (public)',
    security: [],
    responses: { '200': { description: 'HTML, no external resources.', contentType: 'text/html' }, '500': internal },
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
      '200': twiml('Empty TwiML; X-Revos-Run-Id and X-Revos-Status name the run.'),
      '400': { description: 'invalid_body or invalid_envelope, listing every failing field.', schema: 'RunRefused' },
      '403': badSignature,
      '404': { description: 'unknown_tenant or unknown_workflow.', schema: 'Error' },
      ...webhookIntake,
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
    queryParams: [{ name: 'turn', description: 'The caller\'s answer this is (the <Gather> action names it); absent: the call\'s first request, answered with the greeting.', schema: { type: 'integer', minimum: 1, maximum: 500 } }],
    requestBody: { contentType: 'application/x-www-form-urlencoded', schema: 'TwilioVoiceForm' },
    responses: {
      '200': {
        description: 'TwiML: <Gather> with <Say>, <Dial> to the front desk, or <Hangup>; the WF71 fallback (apology and <Dial>) when the deadline comes first. X-Revos-Reply says which.',
        contentType: 'text/xml',
        headers: { 'X-Revos-Reply': { description: 'answered, failed or deadline (absent on the greeting).', schema: { type: 'string' } } },
      },
      '400': { description: 'invalid_body or invalid_envelope, listing every failing field.', schema: 'RunRefused' },
      '403': badSignature,
      '404': { description: 'unknown_tenant or unknown_workflow.', schema: 'Error' },
      ...webhookIntake,
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
      '200': twiml('Empty TwiML; X-Revos-Run-Id and X-Revos-Status name the run.'),
      '400': { description: 'invalid_body: MessageSid (or CallSid) or MessageStatus (or CallStatus) missing or malformed, naming the field.', schema: 'RunRefused' },
      '403': badSignature,
      '404': { description: 'unknown_tenant.', schema: 'Error' },
      ...webhookIntake,
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
    headerParams: [{ name: 'X-Revos-Timestamp', description: 'Unix seconds; more than WEBHOOK_TOLERANCE_S away answers 403.', schema: { type: 'string', pattern: '^[0-9]{1,12}$' } }],
    requestBody: { contentType: 'application/json', schema: 'GenericWebhookBody' },
    responses: {
      '202': { description: 'Queued.', schema: 'RunAccepted' },
      '200': { description: 'Duplicate of an earlier delivery.', schema: 'RunAccepted' },
      '400': { description: 'invalid_json, invalid_body or invalid_envelope (payload fields included), listing every failing field.', schema: 'RunRefused' },
      '403': { description: 'invalid_signature (or a stale timestamp): nothing recorded.', schema: 'Error' },
      '404': { description: 'unknown_tenant, or unknown_workflow (with issues).', schema: 'Error' },
      ...webhookIntake,
    },
  },
  {
    method: 'post',
    path: '/webhooks/postmark/{tenantId}/inbound',
    operationId: 'postmarkInboundWebhook',
    tag: 'webhooks',
    summary: 'Inbound email (Postmark inbound webhook): starts the inbound email workflow',
    description: 'The trigger id is the MessageID, so Postmark\'s retries are duplicates. The credentials are checked before anything else.',
    security: ['postmarkBasic'],
    pathParams: [tenantId],
    requestBody: { contentType: 'application/json', schema: 'PostmarkInbound' },
    responses: {
      '200': {
        description: 'Recorded: the run, queued or a duplicate.',
        schema: {
          type: 'object',
          properties: { workflow_run_id: { type: 'string' }, status: { type: 'string', enum: ['queued', 'duplicate'] } },
          required: ['workflow_run_id', 'status'],
        },
        headers: {
          'X-Revos-Run-Id': { description: 'The run (wr_…).', schema: { type: 'string' } },
          'X-Revos-Status': { description: 'queued or duplicate.', schema: { type: 'string', enum: ['queued', 'duplicate'] } },
        },
      },
      '400': { description: 'invalid_json, invalid_body or invalid_envelope (with issues naming each field where there are fields to name).', schema: 'Error' },
      '403': { description: 'invalid_credentials: nothing recorded.', schema: 'Error' },
      '404': { description: 'unknown_tenant or unknown_workflow.', schema: 'Error' },
      ...webhookIntake,
    },
  },
  {
    method: 'post',
    path: '/webhooks/postmark/{tenantId}/events',
    operationId: 'postmarkEventsWebhook',
    tag: 'webhooks',
    summary: 'Bounces, spam complaints and subscription changes (Postmark webhooks): a denying one records the address\'s email opt-out',
    description: 'The credentials are checked before anything else. A RecordType or bounce Type that says nothing about the mailbox is answered recorded: false.',
    security: ['postmarkBasic'],
    pathParams: [tenantId],
    requestBody: { contentType: 'application/json', schema: 'PostmarkEvent' },
    responses: {
      '200': {
        description: 'recorded: true with consent_changed, or recorded: false with the record_type that was not acted on.',
        schema: {
          type: 'object',
          properties: { recorded: { type: 'boolean' }, consent_changed: { type: 'boolean' }, record_type: { type: 'string' } },
          required: ['recorded'],
        },
      },
      '400': { description: 'invalid_json, or invalid_body naming the field.', schema: 'Error' },
      '403': { description: 'invalid_credentials: nothing recorded.', schema: 'Error' },
      '404': { description: 'unknown_tenant.', schema: 'Error' },
      '413': tooLarge,
      '500': internal,
    },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'operations',
    summary: 'PostgreSQL and Redis answer (public)',
    security: [],
    responses: { '200': { description: 'Both answered.', schema: 'Health' }, '503': { description: 'One of them did not answer within 2 s.', schema: 'Health' } },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    description: 'METRICS_TOKEN as a bearer token, or the admin credentials (basic auth). A browser asking for HTML without credentials is redirected to /admin/login instead of the 401.',
    security: ['metricsToken', 'adminBasic'],
    responses: {
      '200': { description: 'Prometheus text format.', contentType: 'text/plain' },
      '302': { description: 'A browser (Accept: text/html) without credentials: to the login form.' },
      '401': { description: 'unauthorized: no or wrong credentials.', schema: 'Error' },
      '429': {
        description: 'too_many_attempts: this client or user failed too often; try again after Retry-After seconds.',
        schema: 'Error',
        headers: { 'Retry-After': { description: 'Seconds.', schema: { type: 'integer' } } },
      },
      '503': { description: 'Admin disabled (ADMIN_PASSWORD unset) and no METRICS_TOKEN sent.', contentType: 'text/plain' },
    },
  },
];

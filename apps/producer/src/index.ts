export { createProducerApp, MAX_BODY_BYTES } from './http/app.js';
export { startProducerProcess, type BackgroundHandle, type ProducerProcess, type StartProducerOptions } from './boot/producer.js';
export { loadProducerEnv, ProducerEnv } from './platform/env.js';
export type { ProducerDeps } from './platform/deps.js';
export { createProducerCatalog } from './services/catalog.js';
export {
  signGeneric,
  twilioSignature,
  verifyGenericSignature,
  verifyTwilioRequest,
  verifyTwilioSignature,
  twilioSignatureAlgorithm,
  type FormParams,
  type TwilioSignatureAlgorithm,
  type TwilioSignatureCheck,
  type GenericSignatureCheck,
  type GenericSignatureInput,
} from './http/webhooks/signatures.js';
export { RunOptions, RunAccepted, RunRefused, submitRequest, submitPartial, refusalStatus, type SubmitOutcome } from './services/submit.js';
export { runDetail, runTree, type RunDetail, type RunSummary, type RunTree, type RunTreeNode } from './services/views.js';
export { startBackgroundLoops } from './boot/background.js';
export { loadCronSchedules } from './boot/cron-file.js';
export { runCli } from './cli/run-cli.js';
export { replayRun, redactDetail, operatorRunDetail, operatorRunTree, parseSince, type ReplayOutcome, type ReplayRequest } from './services/operator.js';
export { renderRunPage } from './http/admin/explorer.js';
export { checkAlerts } from './boot/alerts.js';
export { voiceWebhook, TwilioVoiceForm, DEFAULT_VOICE_BUDGET_MS } from './http/webhooks/voice-webhook.js';
export { checkPostmarkBasicAuth, postmarkWebhookPassword, postmarkWebhookUrl, POSTMARK_WEBHOOK_USER } from './http/webhooks/postmark-auth.js';
export { PostmarkInbound } from './http/webhooks/email-webhook.js';
export { escapeXml, fallbackTwiml, gatherTwiml, replyTwiml } from './http/webhooks/twiml.js';
export { createProducerMetrics, type ProducerMetrics } from './platform/metrics.js';
export { buildOpenApiDocument, payloadComponent, META_FILLED_AT_INTAKE, API_DOCUMENT_VERSION, type OpenApiDocument } from './http/openapi/document.js';
export { renderDocsPage } from './http/openapi/docs-page.js';
export { describeWorkflows } from './http/openapi/workflows.js';
export { ROUTES, UNDOCUMENTED_ROUTE_PREFIXES, type RouteDoc } from './http/openapi/routes.js';
export { ErrorBody, RunDetail as RunDetailSchema, RunTree as RunTreeSchema, WorkflowInfo, WorkflowList } from './contracts/api.js';
export { runProducerMain, runCliMain, type ProducerMainOptions } from './boot/run-main.js';

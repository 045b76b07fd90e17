export { createProducerApp, MAX_BODY_BYTES } from './app.js';
export { startProducerProcess, type BackgroundHandle, type ProducerProcess, type StartProducerOptions } from './producer.js';
export { loadProducerEnv, ProducerEnv } from './env.js';
export type { ProducerDeps } from './deps.js';
export { createProducerCatalog } from './catalog.js';
export {
  signGeneric,
  twilioSignature,
  verifyGenericSignature,
  verifyTwilioSignature,
  type FormParams,
  type GenericSignatureCheck,
  type GenericSignatureInput,
} from './signatures.js';
export { RunOptions, RunAccepted, RunRefused, submitRequest, submitPartial, refusalStatus, type SubmitOutcome } from './submit.js';
export { runDetail, runTree, type RunDetail, type RunSummary, type RunTree, type RunTreeNode } from './views.js';
export { startBackgroundLoops } from './background.js';
export { loadCronSchedules } from './cron-file.js';
export { runCli } from './cli/run-cli.js';
export { replayRun, redactDetail, operatorRunDetail, operatorRunTree, parseSince, type ReplayOutcome, type ReplayRequest } from './operator.js';
export { renderRunPage } from './explorer.js';
export { checkAlerts } from './alerts.js';
export { voiceWebhook, TwilioVoiceForm, DEFAULT_VOICE_BUDGET_MS } from './voice-webhook.js';
export { escapeXml, fallbackTwiml, gatherTwiml, replyTwiml } from './twiml.js';
export { createProducerMetrics, type ProducerMetrics } from './metrics.js';
export { buildOpenApiDocument, payloadComponent, META_FILLED_AT_INTAKE, API_DOCUMENT_VERSION, type OpenApiDocument } from './api-description/document.js';
export { renderDocsPage } from './api-description/docs-page.js';
export { describeWorkflows } from './api-description/workflows.js';
export { ROUTES, type RouteDoc } from './api-description/routes.js';
export { ErrorBody, RunDetail as RunDetailSchema, RunTree as RunTreeSchema, WorkflowInfo, WorkflowList } from './api-description/contracts.js';
export { runProducerMain, runCliMain, type ProducerMainOptions } from './run-main.js';

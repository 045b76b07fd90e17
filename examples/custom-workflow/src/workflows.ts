/**
 * This deployment's workflows, beside the reference ones. The worker, the producer and the CLI
 * all load this one module (through their entries here, or WORKFLOWS_MODULE=src/workflows.ts), so
 * they agree on names, versions, lanes and payload schemas: the worker runs `workflows(services)`,
 * the producer and the CLI read only `manifests`, which need no services.
 */
import type { WorkflowServices } from '@revos/workflows';
import type { WF99Payload } from './manifests.js';
import { WF99_Recall_Reminder } from './WF99_Recall_Reminder.js';

export { manifests } from './manifests.js';
export const workflows = (services: WorkflowServices) => [WF99_Recall_Reminder(services)];
export default workflows;

/** The payload of each of this deployment's workflows, for @revos/client's type parameter. */
export type OwnWorkflowPayloads = { WF99_Recall_Reminder: WF99Payload };

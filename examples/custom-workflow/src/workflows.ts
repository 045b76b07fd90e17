/**
 * This deployment's workflows, beside the reference ones. The worker, the producer and the CLI
 * all load this one list (through their entries here, or WORKFLOWS_MODULE=src/workflows.ts), so
 * they agree on names, versions, lanes and payload schemas.
 */
import type { WorkflowServices } from '@revos/workflows';
import { WF99_Recall_Reminder, type WF99Payload } from './WF99_Recall_Reminder.js';

export const workflows = (services: WorkflowServices) => [WF99_Recall_Reminder(services)];
export default workflows;

/** The payload of each of this deployment's workflows, for @revos/client's type parameter. */
export type OwnWorkflowPayloads = { WF99_Recall_Reminder: WF99Payload };

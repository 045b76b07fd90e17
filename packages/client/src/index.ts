/**
 * @revos/client: a typed client of the RevOS producer API (fetch only, no dependencies).
 *
 *   const revos = createRevosClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: revosApiKey });
 *   const run = await revos.submitRun({
 *     meta: { workflow_name: 'WF18_Schedule', trigger_source: 'ui', trigger_id: 'booking-form-42', environment: 'staging', privacy_mode: 'standard' },
 *     subject: { patient_id: 'p_1001' },
 *     payload: { practice_id: 'prac_1', slot_start: new Date(Date.now() + 2 * 86_400_000).toISOString() },   // typed for WF18_Schedule (a slot still ahead)
 *   });
 *   const detail = await revos.getRun(run.workflow_run_id);
 */
export { createRevosClient, MAX_WAIT_MS, type RevosClient, type RevosClientOptions, type RequestOptions, type SubmitOptions } from './client.js';
export { isRevosApiError, isRevosRequestError, RevosApiError, RevosRequestError } from './errors.js';
export type { ReferenceWorkflowPayloads } from './reference-workflows.js';
export type * from './types.js';

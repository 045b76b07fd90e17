/**
 * Submits one WF99_Recall_Reminder run with @revos/client and prints its status:
 *   REVOS_API_KEY=rvk_... npm run submit -- p_1001 +15551230001 hygiene 2027-01-15
 */
import { createRevosClient, isRevosApiError, type ReferenceWorkflowPayloads } from '@revos/client';
import { loadSubmitEnv } from './env.js';
import type { OwnWorkflowPayloads } from './workflows.js';

const env = loadSubmitEnv();
const [patientId, to, recall, dueBy] = process.argv.slice(2);
if (!patientId || !to || (recall !== 'hygiene' && recall !== 'annual_exam') || !dueBy) {
  console.error('usage: npm run submit -- <patient_id> <E.164 number> hygiene|annual_exam <YYYY-MM-DD>');
  process.exit(2);
}

// The payload map types submitRun: WF99's payload here, each reference workflow's too.
const revos = createRevosClient<ReferenceWorkflowPayloads & OwnWorkflowPayloads>({ baseUrl: env.REVOS_URL, apiKey: env.REVOS_API_KEY });
try {
  const run = await revos.submitRun({
    meta: { workflow_name: 'WF99_Recall_Reminder', trigger_source: 'ui', trigger_id: `recall:${patientId}:${recall}:${dueBy}`, environment: 'staging', privacy_mode: 'standard' },
    subject: { patient_id: patientId },
    payload: { to, recall, due_by: dueBy },
  });
  console.log(`${run.status} ${run.workflow_run_id}`);
} catch (error) {
  if (!isRevosApiError(error)) throw error;
  console.error(`${error.status} ${error.error}`);
  for (const issue of error.issues) console.error(`  ${issue.path}: ${issue.rule} (${issue.message})`);
  process.exit(1);
}

/**
 * A worker with no email transport (neither POSTMARK_SERVER_TOKEN nor SMTP_URL) still serves WF36: every
 * producer accepts it, so the run must end, and it ends `config_missing` naming the settings, escalated
 * to staff, with nothing sent. Real Redis, PostgreSQL and HTTP.
 */
import { setConsent } from '@revos/db';
import { submitRun } from '@revos/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, TENANT, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ lanes: ['interactive'], services: { email: undefined } });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: 'p_mail', channel: 'email', status: 'allow', source: 'test' });
});
afterAll(async () => {
  await h?.close();
});

it('ends config_missing, names the missing settings and sends nothing', async () => {
  const e = h.envelope({ workflow: 'WF36_Send_Email', payload: { to: 'ann.lee@patient.test', template: 'appointment_reminder' }, subject: { patient_id: 'p_mail' } });
  const accepted = await submitRun(h, e, { source: 'api' });
  const run = await h.waitForRun(accepted.workflow_run_id, undefined, 20_000);
  expect(run).toMatchObject({ status: 'failed', failure_code: 'config_missing' });
  expect(JSON.stringify(run.output)).toMatch(/POSTMARK_SERVER_TOKEN or SMTP_URL/);
  expect(h.postmark.emails).toHaveLength(0);
  const tasks = await h.db.sql`select kind from tasks where workflow_run_id = ${accepted.workflow_run_id}`;
  expect(tasks.length).toBeGreaterThan(0);
});

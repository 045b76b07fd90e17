import { createRedactor } from '@revos/runtime';
import { PHI_ALERT_KIND, scanLogLines } from '@revos/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TEST_PHI_TOKEN_KEY, type Harness } from '../support/harness.js';
import { CANARY_BODY, CANARY_PHONE, complianceWorkflows, containsCanary } from './fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: complianceWorkflows(() => h) });
});
afterAll(async () => {
  await h?.close();
});

interface AlertRow {
  alert_id: string;
  tenant_id: string;
  workflow_name: string | null;
  workflow_run_id: string | null;
  dedupe_key: string;
  details: { table: string; run_id: string; path: string; kind: string };
}

const phiAlerts = () => h.db.sql<AlertRow[]>`
  select alert_id, tenant_id, workflow_name, workflow_run_id, dedupe_key, details from alerts where kind = ${PHI_ALERT_KIND} order by dedupe_key`;

/** A WF11 run; phi_minimized ones are stored redacted by the runtime (the attribute's phone becomes a token). */
async function logEvent(privacyMode: 'standard' | 'phi_minimized', attributes: Record<string, string>): Promise<string> {
  const envelope = h.envelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'note.added', direction: 'internal', attributes }, privacyMode });
  await h.enqueue(envelope);
  expect((await h.waitForRun(envelope.meta.workflow_run_id)).status).toBe('ok');
  return envelope.meta.workflow_run_id;
}

async function sentinel(payload: Record<string, unknown> = {}) {
  const envelope = h.envelope({ workflow: 'WF84_Compliance_Sentinel', payload });
  await h.enqueue(envelope);
  const run = await h.waitForRun(envelope.meta.workflow_run_id);
  expect(run.status, JSON.stringify(run.output?.meta_out)).toBe('ok');
  return run.output!.result.primary_outputs as Record<string, number>;
}

describe('WF84_Compliance_Sentinel', () => {
  let clean: string;
  let leaky: string;
  let standard: string;

  it('scans redacted phi_minimized runs clean', async () => {
    clean = await logEvent('phi_minimized', { channel: 'sms', callback: '555-765-4321' });
    leaky = await logEvent('phi_minimized', { channel: 'voice' });
    // Standard runs are stored as they are, by design: the sentinel does not look at them.
    standard = await logEvent('standard', { callback: '555-765-4321' });
    const [stored] = await h.db.sql<{ envelope: { payload: { attributes: { callback: string } } } }[]>`
      select envelope from workflow_runs where workflow_run_id = ${clean}`;
    expect(stored!.envelope.payload.attributes.callback).toMatch(/^tok_phone_/);

    const out = await sentinel();
    expect(out).toMatchObject({ findings: 0, alerts_new: 0 });
    expect(out.runs_scanned).toBeGreaterThanOrEqual(2);
    expect(await phiAlerts()).toEqual([]);
  });

  it('finds a planted leak in a stored envelope and event and alerts on run + field, never the value', async () => {
    // Simulate a leak past the redactor: raw PHI written straight into the stored rows.
    await h.db.sql`
      update workflow_runs
         set envelope = jsonb_set(envelope, '{payload,attributes,body}', to_jsonb(${CANARY_BODY}::text))
       where workflow_run_id = ${leaky}`;
    const updated = await h.db.sql`
      update events set payload = ${h.db.sql.json({ to: CANARY_PHONE, status: 'queued' })}
       where workflow_run_id = ${leaky} returning event_id`;
    expect(updated.length).toBe(1);

    const out = await sentinel();
    expect(out).toMatchObject({ findings: 2, alerts_new: 2, alerts_existing: 0 });
    const alerts = await phiAlerts();
    expect(alerts.map((a) => a.details).sort((a, b) => a.table.localeCompare(b.table))).toEqual([
      expect.objectContaining({ table: 'events', run_id: leaky, path: 'payload.to', kind: 'phone' }),
      expect.objectContaining({ table: 'workflow_runs', run_id: leaky, path: 'envelope.payload.attributes.body', kind: 'free_text' }),
    ]);
    for (const a of alerts) expect(a).toMatchObject({ tenant_id: h.envelope({ workflow: 'WF11_Log_Event', payload: {} }).meta.tenant_id, workflow_run_id: leaky, workflow_name: 'WF11_Log_Event' });
    // The alert says where, never what.
    expect(containsCanary(JSON.stringify(alerts))).toBe(false);
    expect(alerts.some((a) => a.workflow_run_id === clean || a.workflow_run_id === standard)).toBe(false);
  });

  it('does not duplicate alerts when it runs again', async () => {
    const before = await phiAlerts();
    const out = await sentinel({ since_minutes: 30 });
    expect(out).toMatchObject({ findings: 2, alerts_new: 0, alerts_existing: 2 });
    expect(await phiAlerts()).toEqual(before);
  });

  it('only looks at runs inside its window', async () => {
    await h.db.sql`update workflow_runs set updated_at = now() - interval '3 hours' where workflow_run_id = ${leaky}`;
    const out = await sentinel({ since_minutes: 60 });
    expect(out.findings).toBe(0);
  });

  it('scanLogLines: the fleet wrote no PHI to its logs; a planted line is named by index and path only', async () => {
    const redactor = createRedactor({ key: TEST_PHI_TOKEN_KEY });
    expect(h.logLines.length).toBeGreaterThan(0);
    expect(scanLogLines(redactor, h.logLines)).toEqual([]);
    const planted = [...h.logLines, { level: 30, msg: 'sms sent', to: CANARY_PHONE }, `raw line: call ${CANARY_PHONE}`];
    const leaks = scanLogLines(redactor, planted);
    expect(leaks).toEqual([
      { line: h.logLines.length, path: 'to', kind: 'phone' },
      { line: h.logLines.length + 1, path: '', kind: 'phone' },
    ]);
    expect(containsCanary(JSON.stringify(leaks))).toBe(false);
  });
});

/**
 * A run's envelope is stored without the meta fields its row repeats (migration 0015, issue 27 item 5) and read back
 * through run_envelope(): the API's run view, the reconciler's re-enqueue (findAcceptedRun, listUnsettledRuns) and
 * the export must get the accepted envelope value for value, so its hash is the one intake recorded. What cannot be
 * slimmed exactly is stored whole.
 */
import { acceptRun, findAcceptedRun, findRun, listUnsettledRuns, RUN_ENVELOPE } from '@revos/db';
import { envelopeHash, type Envelope } from '@revos/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptRunInputOf } from '../support/accept-run-input.js';
import { makeEnvelope } from '../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const TENANT = 't_stored_envelope';

async function rawEnvelope(runId: string): Promise<Record<string, unknown>> {
  const [row] = await t.db.sql<{ envelope: Record<string, unknown> }[]>`select envelope from workflow_runs where workflow_run_id = ${runId}`;
  return row!.envelope;
}

describe('stored envelope', () => {
  it('keeps meta_rest instead of meta, and every reader gets the accepted envelope back with the hash intake recorded', async () => {
    const envelope = makeEnvelope({ workflow: 'WF30_Send_SMS', tenantId: TENANT, payload: { to: '+15550001234', body: 'see you at 3' }, subject: { patient_id: 'p_1' } });
    envelope.meta.accepted_at_utc = '2026-12-06T10:00:00.000Z';
    envelope.context = { feature_flags: { quiet_hours: true } };
    const intake = acceptRunInputOf(envelope);
    expect((await acceptRun(t.db.sql, intake)).accepted).toBe(true);

    const raw = await rawEnvelope(envelope.meta.workflow_run_id);
    expect(Object.keys(raw).sort()).toEqual(['context', 'meta_rest', 'payload', 'subject']);
    expect(Object.keys(raw.meta_rest as object).sort()).toEqual(['accepted_at_utc', 'environment', 'parent_run_id', 'timestamp_utc']);

    const view = await findRun(t.db.sql, TENANT, envelope.meta.workflow_run_id);
    expect(view?.envelope).toEqual(envelope);
    const accepted = await findAcceptedRun(t.db.sql, envelope.meta.workflow_run_id);
    expect(accepted?.envelope).toEqual(envelope);
    expect(envelopeHash(accepted!.envelope as Envelope)).toBe(intake.envelopeHash);
    // The reconciler's sweep reads it the same way (grace 0: every unsettled run).
    const unsettled = await listUnsettledRuns(t.db.sql, 0, 100);
    expect(unsettled.find((u) => u.workflowRunId === envelope.meta.workflow_run_id)?.envelope).toEqual(envelope);
    const [sized] = await t.db.sql<{ stored: number; whole: number }[]>`
      select pg_column_size(envelope) as stored, pg_column_size(${t.db.sql.unsafe(RUN_ENVELOPE.replace(' as envelope', ''))}) as whole
        from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(sized!.whole - sized!.stored).toBeGreaterThan(300);
  });

  it('stores an envelope whole when a meta field differs from its column, and returns it as it is', async () => {
    const envelope = makeEnvelope({ workflow: 'WF30_Send_SMS', tenantId: TENANT, payload: { n: 2 } });
    // A trigger id the row spells otherwise: the rebuild would not give this envelope back, so nothing is dropped.
    expect((await acceptRun(t.db.sql, acceptRunInputOf(envelope, { triggerId: 'trg_other' }))).accepted).toBe(true);
    expect(Object.keys(await rawEnvelope(envelope.meta.workflow_run_id)).sort()).toEqual(['meta', 'payload', 'subject']);
    expect((await findRun(t.db.sql, TENANT, envelope.meta.workflow_run_id))?.envelope).toEqual(envelope);
  });

  it('stores a document that is not an envelope as it is', async () => {
    const envelope = makeEnvelope({ workflow: 'WF30_Send_SMS', tenantId: TENANT, payload: { n: 3 } });
    const odd = { payload: {}, note: 'no meta' };
    expect((await acceptRun(t.db.sql, acceptRunInputOf(envelope, { envelope: odd }))).accepted).toBe(true);
    expect(await rawEnvelope(envelope.meta.workflow_run_id)).toEqual(odd);
    expect((await findRun(t.db.sql, TENANT, envelope.meta.workflow_run_id))?.envelope).toEqual(odd);
  });
});

/**
 * The operator's any-id lookup (`revos runs show <id>`, the explorer's search, `revos effects settle`): whatever id
 * an operator holds (from a log line, Bull Board, a vendor's dashboard) finds its run. That each kind is found through
 * an index, on a long history, is in history-depth.test.ts.
 */
import { acceptRun, findRunByAnyId } from '@revos/db';
import { toJobId, type Envelope } from '@revos/envelope';
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

const TENANT = 't_any_id';

/** A root run (its trigger id has the characters a job id escapes) and a follow-up in its lineage. */
async function lineage(): Promise<{ root: Envelope; child: Envelope; eventId: string }> {
  const root = makeEnvelope({ workflow: 'WF11_Log_Event', tenantId: TENANT, triggerId: `call:CA${Date.now()}:50%`, payload: { n: 1 } });
  const child = makeEnvelope({ workflow: 'WF11_Log_Event', tenantId: TENANT, payload: { n: 2 } });
  child.meta.parent_run_id = root.meta.workflow_run_id;
  child.meta.root_run_id = root.meta.workflow_run_id;
  child.meta.correlation_id = root.meta.correlation_id;
  expect((await acceptRun(t.db.sql, acceptRunInputOf(root))).accepted).toBe(true);
  expect((await acceptRun(t.db.sql, acceptRunInputOf(child))).accepted).toBe(true);
  const eventId = `ev_${child.meta.workflow_run_id.slice(3)}`;
  await t.db.sql`
    insert into events (event_id, workflow_run_id, root_run_id, tenant_id, event_type, direction, payload_ref)
    values (${eventId}, ${child.meta.workflow_run_id}, ${root.meta.workflow_run_id}, ${TENANT}, 'note.logged', 'internal', 'inline')`;
  return { root, child, eventId };
}

describe('findRunByAnyId', () => {
  it('finds a run by each id an operator may hold, the lineage’s earliest run for an id the lineage shares', async () => {
    const { root, child, eventId } = await lineage();
    const find = (id: string) => findRunByAnyId(t.db.sql, id);

    expect(await find(child.meta.workflow_run_id)).toEqual({ tenant_id: TENANT, workflow_run_id: child.meta.workflow_run_id, matched: 'workflow_run_id' });
    expect(await find(child.meta.idempotency_key)).toEqual({ tenant_id: TENANT, workflow_run_id: child.meta.workflow_run_id, matched: 'idempotency_key' });
    // Bull Board shows the job id: the key with `:` and `%` escaped, here in the trigger id too.
    const rootJobId = toJobId(root.meta.idempotency_key);
    expect(rootJobId).toContain('%25');
    expect(await find(rootJobId)).toEqual({ tenant_id: TENANT, workflow_run_id: root.meta.workflow_run_id, matched: 'job_id' });
    expect(await find(eventId)).toEqual({ tenant_id: TENANT, workflow_run_id: child.meta.workflow_run_id, matched: 'event_id' });
    expect(await find(root.meta.correlation_id)).toEqual({ tenant_id: TENANT, workflow_run_id: root.meta.workflow_run_id, matched: 'correlation_id' });
    expect(await find(root.meta.trigger_id)).toEqual({ tenant_id: TENANT, workflow_run_id: root.meta.workflow_run_id, matched: 'trigger_id' });
  });

  it('answers null, not an error, for an id nothing has, including strings that look like a job id and are not one', async () => {
    await lineage();
    for (const id of ['wr_nothing', 'idem%3Anope', 'idem%ZZ:bad', toJobId('idem:t_any_id:WF11_Log_Event:gone:' + 'a'.repeat(64)), '']) {
      expect(await findRunByAnyId(t.db.sql, id)).toBeNull();
    }
  });
});

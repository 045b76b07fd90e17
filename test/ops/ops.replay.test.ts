import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startHarness, type Harness } from '../support/harness.js';
import { alwaysFails, chainRoot, opsWorkflows, revos } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: opsWorkflows, immediateDispatch: true });
});
afterAll(async () => {
  await h?.close();
});

interface Row {
  workflow_run_id: string;
  parent_run_id: string | null;
  root_run_id: string;
  idempotency_key: string;
  trigger_id: string;
  trigger_source: string;
  workflow_name: string;
  status: string;
  privacy_mode: string;
}

async function rowsOfRoot(root: string, expected: number): Promise<Row[]> {
  for (let i = 0; i < 400; i++) {
    const rows = await h.db.sql<Row[]>`
      select workflow_run_id, parent_run_id, root_run_id, idempotency_key, trigger_id, trigger_source, workflow_name, status, privacy_mode
        from workflow_runs where root_run_id = ${root} order by accepted_at, workflow_run_id`;
    if (rows.length >= expected && rows.every((r) => r.status !== 'queued')) return rows;
    await sleep(25);
  }
  throw new Error(`lineage ${root} did not settle`);
}

describe('revos runs replay', () => {
  it('creates a linked run: parent = original, root = original root, new key, recorded as a replay', async () => {
    const env = h.envelope({ workflow: chainRoot.name, payload: { label: 'replay' } });
    await h.enqueue(env);
    const rows = await rowsOfRoot(env.meta.root_run_id, 5);
    const middle = rows.find((r) => r.workflow_name === 'WF91_Ops_Chain_Middle')!;

    const res = await revos(h, 'runs', 'replay', middle.workflow_run_id, '--json');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { ok: true; forced: boolean; replay: { workflow_run_id: string; status: string; idempotency_key: string } };
    expect(out.forced).toBe(false);
    expect(out.replay.status).toBe('queued');
    const replay = (await rowsOfRoot(env.meta.root_run_id, 7)).find((r) => r.workflow_run_id === out.replay.workflow_run_id)!;
    expect(replay).toMatchObject({
      parent_run_id: middle.workflow_run_id,
      root_run_id: middle.root_run_id,
      trigger_id: `replay:${middle.workflow_run_id}:1`,
      trigger_source: middle.trigger_source,
      workflow_name: middle.workflow_name,
    });
    expect(replay.idempotency_key).not.toBe(middle.idempotency_key);
    const [accepted] = await h.db.sql`select source from accepted_runs where workflow_run_id = ${replay.workflow_run_id}`;
    expect(accepted?.source).toBe('replay');
    await h.waitForRun(replay.workflow_run_id);

    // A second replay is a new scope (n = 2), not a duplicate of the first.
    const again = await revos(h, 'runs', 'replay', middle.workflow_run_id);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^replayed wr_\S+ as wr_\S+ \(queued\)/);
    const [n] = await h.db.sql`select count(*)::int as n from workflow_runs where trigger_id = ${`replay:${middle.workflow_run_id}:2`}`;
    expect(n?.n).toBe(1);
  });

  it('refuses a phi_minimized run without --force, and audits a forced replay (event + alert)', async () => {
    const env = h.envelope({ workflow: chainRoot.name, payload: { label: 'phi +15551234567' }, privacyMode: 'phi_minimized', subject: { patient_id: 'p_phi_1' } });
    await h.enqueue(env);
    const run = await h.waitForRun(env.meta.workflow_run_id);

    const refused = await revos(h, 'runs', 'replay', run.workflow_run_id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('phi_minimized');
    const [before] = await h.db.sql`select count(*)::int as n from workflow_runs where parent_run_id = ${run.workflow_run_id} and trigger_id like 'replay:%'`;
    expect(before?.n).toBe(0);

    const noReason = await revos(h, 'runs', 'replay', run.workflow_run_id, '--force');
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain('--reason');

    const forced = await revos(h, 'runs', 'replay', run.workflow_run_id, '--force', '--reason', 'INC-42 vendor outage', '--operator', 'alice', '--json');
    expect(forced.code).toBe(0);
    const out = JSON.parse(forced.stdout) as { forced: boolean; replay: { workflow_run_id: string } };
    expect(out.forced).toBe(true);
    const [event] = await h.db.sql`select event_type, direction, payload from events where workflow_run_id = ${run.workflow_run_id} and event_type = 'run.replay_forced'`;
    expect(event).toMatchObject({ direction: 'internal', payload: { operator: 'alice', reason: 'INC-42 vendor outage', replay_run_id: out.replay.workflow_run_id } });
    const [alert] = await h.db.sql`select kind, workflow_run_id, details from alerts where kind = 'replay_forced'`;
    expect(alert).toMatchObject({ workflow_run_id: run.workflow_run_id, details: { operator: 'alice', reason: 'INC-42 vendor outage' } });
    const [replay] = await h.db.sql`select parent_run_id, privacy_mode from workflow_runs where workflow_run_id = ${out.replay.workflow_run_id}`;
    expect(replay).toEqual({ parent_run_id: run.workflow_run_id, privacy_mode: 'phi_minimized' });

    // Without --operator the audit names $USER; the operator view of the run shows hashes, not PHI.
    const show = await revos(h, 'runs', 'show', run.idempotency_key, '--json');
    expect(show.code).toBe(0);
    expect(show.stdout).not.toContain('+15551234567');
    expect(show.stdout).not.toContain('p_phi_1');
    expect(JSON.parse(show.stdout)).toMatchObject({ redacted: true, located: { matched: 'idempotency_key' } });
  });

  it('lists failed runs and open tasks, and replays failed runs in bulk with a progress bar', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const env = h.envelope({ workflow: alwaysFails.name, payload: { note: `n${i}` } });
      await h.enqueue(env);
      ids.push(env.meta.workflow_run_id);
    }
    for (const id of ids) await h.waitForRun(id);

    const failed = await revos(h, 'runs', 'failed', '--workflow', alwaysFails.name, '--since', '10m', '--json');
    expect(failed.code).toBe(0);
    const runs = (JSON.parse(failed.stdout) as { runs: { workflow_run_id: string }[] }).runs.map((r) => r.workflow_run_id);
    expect(runs.sort()).toEqual([...ids].sort());
    const table = await revos(h, 'runs', 'failed', '--workflow', alwaysFails.name);
    expect(table.stdout.split('\n')[0]).toMatch(/^RUN_ID\s+WORKFLOW\s+TENANT\s+FAILURE/);

    const tasks = await revos(h, 'tasks', 'list', '--json');
    const taskRuns = (JSON.parse(tasks.stdout) as { tasks: { workflow_run_id: string }[] }).tasks.map((t) => t.workflow_run_id);
    for (const id of ids) expect(taskRuns).toContain(id);

    const bulk = await revos(h, 'runs', 'replay', '--failed', '--workflow', alwaysFails.name);
    expect(bulk.code).toBe(0);
    expect(bulk.stdout).toContain('3 replayed, 0 refused');
    expect(bulk.stderr).toMatch(/replay \[#{30}\] 3\/3 3 replayed/);
    const [n] = await h.db.sql`select count(*)::int as n from workflow_runs where parent_run_id = any(${ids}) and trigger_id like 'replay:%'`;
    expect(n?.n).toBe(3);

    const events = await revos(h, 'runs', 'events', ids[0]!);
    expect(events.code).toBe(0);
    const tree = await revos(h, 'runs', 'tree', ids[0]!);
    expect(tree.stdout).toContain(alwaysFails.name);
    const usage = await revos(h, 'runs', 'failed', '--since', 'yesterday');
    expect(usage.code).toBe(2);
  });
});

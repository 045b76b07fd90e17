import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRun, WorkflowCatalog } from '@revos/runtime';
import { createTwilioSmsProvider } from '@revos/workflows';
import { sleep, startHarness, type Harness } from '../support/harness.js';
import { spawnTs, type Spawned } from '../support/processes.js';
import { effectThenPause } from '../support/crash-workflows.js';

let h: Harness;
const spawned: Spawned[] = [];

beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
});
afterAll(async () => {
  for (const p of spawned) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await h?.close();
});

function startWorker(name: string): Promise<Spawned> {
  return spawnTs(
    'test/support/worker-process.ts',
    {
      DATABASE_URL: h.database.url,
      MIGRATE_ON_START: 'false',
      QUEUE_PREFIX: h.prefix,
      WORKER_LANES: 'realtime',
      HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      WORKER_ID: name,
      TWILIO_BASE_URL: h.vendor.url,
      SHUTDOWN_TIMEOUT_MS: '1000',
    },
    /"ready":true/,
  ).then((p) => {
    spawned.push(p);
    return p;
  });
}

describe('a worker killed between the vendor call and the run completion', () => {
  it('is finished by another worker; the vendor saw one call and one event was written', async () => {
    const victim = await startWorker('victim');
    // The test catalog only needs to know the workflow's lane and attempts to enqueue it.
    const sms = createTwilioSmsProvider({ baseUrl: h.vendor.url, accountSid: 'AC_test', authToken: 'x', timeoutMs: 1000 });
    const catalog = new WorkflowCatalog([effectThenPause({ sms } as never)]);
    const envelope = h.envelope({ workflow: 'WF97_Test_Effect_Then_Pause', payload: { to: '+15551239999', pause_ms: 2_500 } });
    await h.accept(envelope, 'realtime'); // as intake does: the workers run only accepted runs
    await enqueueRun(h.queues, catalog, envelope);

    // Wait until the effect is journaled (the vendor answered, the journal committed), then kill -9.
    for (let i = 0; i < 400; i++) {
      const [row] = await h.db.sql`select state from effects where idempotency_key = ${envelope.meta.idempotency_key}`;
      if (row?.state === 'completed') break;
      await sleep(10);
    }
    expect(h.vendor.countFor('sms')).toBe(1);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const [before] = await h.db.sql`select status from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(before?.status).toBe('queued'); // nothing completed it

    await startWorker('rescuer');
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 40_000);
    expect(run.status).toBe('ok');
    expect(h.vendor.countFor('sms')).toBe(1);
    const events = await h.db.sql`select effect_name from events where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(events).toEqual([{ effect_name: 'sms.send' }]);
    const [ledger] = await h.db.sql<{ state: string; fence: string }[]>`
      select state, fence from idempotency_keys where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(ledger?.state).toBe('completed');
    expect(Number(ledger?.fence)).toBeGreaterThanOrEqual(2); // the rescuer took the key over
    // The rescuer reused the journaled result: the output names the message the victim sent.
    const [effect] = await h.db.sql<{ result: { sid: string } }[]>`select result from effects where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(run.output?.result.primary_outputs).toEqual({ sid: effect?.result.sid });
  }, 60_000);
});

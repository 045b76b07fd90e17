/**
 * The producer under test: a real HTTP server on an ephemeral port, in this process, sharing the
 * harness's database and BullMQ prefix so the harness's workers run what it accepts.
 */
import { Writable } from 'node:stream';
import { createLogger, LANES, type AnyWorkflow } from '@revos/runtime';
import { loadProducerEnv, startProducerProcess, type ProducerProcess } from '@revos/producer';
import { REDIS_URL, type Harness } from '../support/harness.js';

export interface TestProducer extends ProducerProcess {
  /** Every line the producer logged, raw (to check that no PHI reaches the logs). */
  logText: string[];
}

export async function startTestProducer(h: Harness, env: Record<string, string> = {}, extraWorkflows: AnyWorkflow[] = []): Promise<TestProducer> {
  const logText: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logText.push(chunk.toString('utf8'));
      done();
    },
  });
  const producer = await startProducerProcess(
    loadProducerEnv({
      DATABASE_URL: h.database.url,
      REDIS_URL,
      QUEUE_PREFIX: h.prefix,
      PORT: '0',
      HOST: '127.0.0.1',
      MIGRATE_ON_START: 'false',
      ...env,
    }),
    { log: createLogger({ level: 'debug', destination: sink }), extraManifests: extraWorkflows },
  );
  return Object.assign(producer, { logText });
}

/** Jobs of every state in every lane under the harness's prefix. */
export async function queuedJobCount(h: Harness): Promise<number> {
  const counts = await Promise.all(LANES.map((lane) => h.queues[lane].getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'waiting-children')));
  return counts.reduce((a, b) => a + b, 0);
}

export async function rowCounts(h: Harness): Promise<{ accepted: number; runs: number }> {
  const [row] = await h.db.sql<{ accepted: number; runs: number }[]>`
    select (select count(*)::int from accepted_runs) as accepted, (select count(*)::int from workflow_runs) as runs`;
  return row!;
}

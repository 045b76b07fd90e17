/**
 * The worker says at start when PostgreSQL runs without what keeps its plans fresh (autovacuum and the
 * table counts it reads). Without ANALYZE the ledger's prepared statements keep the plans made while the
 * tables were small, and every batch reads the whole key table (issue 27: fleet-rss slowed from 737 to
 * 588 runs/s as the table grew). On a private PostgreSQL, so the settings can be changed.
 */
import { Writable } from 'node:stream';
import { createDb, type Db } from '@revos/db';
import { createLogger } from '@revos/runtime';
import { findDatabaseSettingWarnings, loadWorkerEnv, startWorkerProcess, warnDatabaseSettings } from '@revos/worker';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { deleteKeys, REDIS_URL, sleep } from '../support/harness.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/postgres-server.js';
import type { TestDatabase } from '../support/pg.js';

let pg: PrivatePostgres;
let database: TestDatabase;

/** Sets a server setting and waits until a new session sees it (pg_reload_conf only signals). */
async function setServerSetting(name: 'autovacuum' | 'track_counts', value: 'on' | 'off'): Promise<void> {
  await database.db.sql.unsafe(`alter system set ${name} = ${value}`);
  await database.db.sql`select pg_reload_conf()`;
  for (let i = 0; i < 100; i++) {
    const probe = createDb({ url: database.url, max: 1, applicationName: 'revos-test-settings' });
    const [row] = await probe.sql<{ v: string }[]>`select current_setting(${name}) as v`;
    await probe.close();
    if (row!.v === value) return;
    await sleep(50);
  }
  throw new Error(`${name} did not become ${value}`);
}

function collectingLogger(lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return createLogger({ level: 'info', destination: sink });
}

beforeAll(async () => {
  pg = await startPrivatePostgres();
  database = await pg.createDatabase();
}, 120_000);

afterAll(async () => {
  await database?.drop();
  await pg?.stop();
});

describe('the settings the ledger statements rely on', () => {
  it('finds nothing to say on a server with PostgreSQL\'s defaults', async () => {
    expect(await findDatabaseSettingWarnings(database.db)).toEqual([]);
  });

  it('names autovacuum, then track_counts, when they are off', async () => {
    await setServerSetting('autovacuum', 'off');
    const fresh = createDb({ url: database.url, max: 1, applicationName: 'revos-test-settings' });
    try {
      expect((await findDatabaseSettingWarnings(fresh)).map((w) => [w.setting, w.value])).toEqual([['autovacuum', 'off']]);
    } finally {
      await fresh.close();
    }
    await setServerSetting('track_counts', 'off');
    const again = createDb({ url: database.url, max: 1, applicationName: 'revos-test-settings' });
    try {
      const warnings = await findDatabaseSettingWarnings(again);
      expect(warnings.map((w) => [w.setting, w.value])).toEqual([['autovacuum', 'off'], ['track_counts', 'off']]);
      expect(warnings[0]!.message).toMatch(/ANALYZE/);
    } finally {
      await again.close();
      await setServerSetting('track_counts', 'on');
    }
  });

  it('a worker started on a server without autovacuum logs one warn line naming it, and starts', async () => {
    await setServerSetting('autovacuum', 'off');
    const lines: Record<string, unknown>[] = [];
    const prefix = `t-settings-${ulid().toLowerCase()}`;
    const worker = await startWorkerProcess(
      loadWorkerEnv({
        DATABASE_URL: database.url,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        MIGRATE_ON_START: 'false',
        HEALTH_PORT: '0',
        WORKER_LANES: 'batch',
        SHUTDOWN_TIMEOUT_MS: '5000',
      }),
      { log: collectingLogger(lines) },
    );
    await worker.close();
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, prefix);
    await redis.quit();
    const warned = lines.filter((l) => l.setting !== undefined);
    expect(warned).toEqual([expect.objectContaining({ level: 'warn', setting: 'autovacuum', value: 'off', msg: expect.stringMatching(/autovacuum/) })]);
    expect(lines.some((l) => l.msg === 'worker started')).toBe(true);
    await setServerSetting('autovacuum', 'on');
  });

  it('a database it cannot read is a warn line, not a failed start', async () => {
    const closed: Db = createDb({ url: database.url, max: 1, applicationName: 'revos-test-settings' });
    await closed.close();
    const lines: Record<string, unknown>[] = [];
    expect(await warnDatabaseSettings(closed, collectingLogger(lines))).toEqual([]);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'could not read the database settings the fleet relies on' })]);
  });
});

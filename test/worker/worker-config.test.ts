import { describe, expect, it } from 'vitest';
import { runToExit as runApp } from '../support/processes.js';

describe('starting with bad configuration', () => {
  it('the worker stops with exit 78, naming each bad variable and its rule', async () => {
    const { code, stderr } = await runApp('apps/worker/src/main.ts', { CONCURRENCY_BATCH: 'abc', WORKER_LANES: 'realtime,nightly', REPLY_LANES: 'voice', REDIS_URL: 'http://nope' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/CONCURRENCY_BATCH: /);
    expect(stderr).toMatch(/WORKER_LANES: /);
    expect(stderr).toMatch(/REPLY_LANES: /);
    expect(stderr).toMatch(/REDIS_URL: must be a redis: or rediss:\/\/ URL/);
  });

  it('the producer refuses the development PHI keys in production, and names a bad voice margin too', async () => {
    const { code, stderr } = await runApp('apps/producer/src/main.ts', { NODE_ENV: 'production', VOICE_REPLY_MARGIN_MS: '-5' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/PHI_TOKEN_KEY: the development default is refused when NODE_ENV=production/);
    expect(stderr).toMatch(/PHI_SEAL_KEY: /);
    expect(stderr).toMatch(/VOICE_REPLY_MARGIN_MS: /);
  });

  it('a shared setting has one rule everywhere: worker, producer and the migrate CLI name it the same way', async () => {
    const [worker, producer, migrate] = await Promise.all([
      runApp('apps/worker/src/main.ts', { LOG_PRETTY: 'yes', DATABASE_URL: 'mysql://db/revos', CONCURRENCY_REALTIME: '0' }),
      runApp('apps/producer/src/main.ts', { LOG_PRETTY: 'yes', DATABASE_URL: 'mysql://db/revos', PORT: 'eighty' }),
      runApp('packages/db/src/migrate-cli.ts', { DATABASE_URL: 'mysql://db/revos' }),
    ]);
    for (const app of [worker, producer]) {
      expect(app.code).toBe(78);
      expect(app.stderr).toMatch(/LOG_PRETTY: /);
      expect(app.stderr).toMatch(/DATABASE_URL: must be a postgres: or postgresql:\/\/ URL/);
    }
    expect(worker.stderr).toMatch(/CONCURRENCY_REALTIME: /);
    expect(producer.stderr).toMatch(/PORT: /);
    expect(migrate.code).not.toBe(0);
    expect(migrate.stderr).toMatch(/DATABASE_URL: must be a postgres: or postgresql:\/\/ URL/);
  });
});

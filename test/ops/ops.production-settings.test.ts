/**
 * NODE_ENV=production refuses every public default: the producer, the worker and the `revos` CLI
 * stop with exit 78 naming each setting left unset or at its committed development value (secrets
 * anyone can read in this repository, vendor URLs at the loopback stand-ins); with real values they
 * start. The worker's /metrics asks for METRICS_TOKEN; its /healthz stays open for probes.
 */
import { DEVELOPMENT_DEFAULTS } from '@revos/settings';
import { loadProducerEnv, runCli } from '@revos/producer';
import { loadWorkerEnv } from '@revos/worker';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { freePort, runToExit, spawnTs, type Spawned } from '../support/processes.js';

const PRODUCTION = { NODE_ENV: 'production' };
const PRODUCER_OFFENDERS = ['PHI_TOKEN_KEY', 'PHI_SEAL_KEY', 'TWILIO_AUTH_TOKEN', 'WEBHOOK_SIGNING_SECRET', 'METRICS_TOKEN'];
const WORKER_OFFENDERS = ['PHI_TOKEN_KEY', 'PHI_SEAL_KEY', 'TWILIO_AUTH_TOKEN', 'TWILIO_ACCOUNT_SID', 'TWILIO_BASE_URL', 'PMS_BASE_URL', 'PMS_API_KEY', 'STRIPE_BASE_URL', 'STRIPE_SECRET_KEY', 'METRICS_TOKEN'];

/** Real-looking values for everything production checks (none of them a development default). */
const METRICS_TOKEN = 'prod-metrics-token-0123456789';
const SHARED = {
  PHI_TOKEN_KEY: 'prod-phi-token-key-abcdefghijklmnopqrstuvwxyz-0123456789',
  PHI_SEAL_KEY: 'prod-phi-seal-key-zyxwvutsrqponmlkjihgfedcba-9876543210',
  TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
  METRICS_TOKEN,
};
const PRODUCER_VALUES = { ...SHARED, WEBHOOK_SIGNING_SECRET: 'prod-webhook-secret-0123456789abcdef' };
const WORKER_VALUES = {
  ...SHARED,
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  // Never called: the worker is only started and stopped.
  TWILIO_BASE_URL: 'https://api.twilio.example',
  PMS_BASE_URL: 'https://pms.example/api',
  PMS_API_KEY: 'prod-pms-key',
  STRIPE_BASE_URL: 'https://api.stripe.example',
  STRIPE_SECRET_KEY: 'rk_live_prodkey',
};

/** `NAME: ` at the start of one of the error's lines, for each name. */
function namesEach(stderr: string, names: string[]): void {
  for (const name of names) expect(stderr, name).toMatch(new RegExp(`^\\s*${name}: `, 'm'));
}

describe('production refuses the public development defaults', () => {
  it('the producer, left at its defaults, exits 78 naming every one', async () => {
    const { code, stderr } = await runToExit('apps/producer/src/main.ts', PRODUCTION);
    expect(code).toBe(78);
    namesEach(stderr, PRODUCER_OFFENDERS);
    expect(stderr).toMatch(/WEBHOOK_SIGNING_SECRET: the development default is refused when NODE_ENV=production/);
    expect(stderr).toMatch(/METRICS_TOKEN: must be set when NODE_ENV=production/);
    // Admin is off (no ADMIN_PASSWORD): no session secret is asked for.
    expect(stderr).not.toMatch(/ADMIN_SESSION_SECRET/);
  });

  it('the producer refuses a development value written out explicitly, and asks for ADMIN_SESSION_SECRET once admin is on', async () => {
    const { code, stderr } = await runToExit('apps/producer/src/main.ts', {
      ...PRODUCTION,
      ...PRODUCER_VALUES,
      // The committed secret, set by hand (a copied .env): as bad as leaving it unset.
      WEBHOOK_SIGNING_SECRET: DEVELOPMENT_DEFAULTS.WEBHOOK_SIGNING_SECRET,
      TWILIO_AUTH_TOKEN: DEVELOPMENT_DEFAULTS.TWILIO_AUTH_TOKEN,
      ADMIN_PASSWORD: 'correct horse battery',
    });
    expect(code).toBe(78);
    namesEach(stderr, ['WEBHOOK_SIGNING_SECRET', 'TWILIO_AUTH_TOKEN', 'ADMIN_SESSION_SECRET']);
    expect(stderr).toMatch(/ADMIN_SESSION_SECRET: must be set when NODE_ENV=production/);
    expect(stderr).not.toMatch(/PHI_TOKEN_KEY|METRICS_TOKEN/);
  });

  it('the worker, left at its defaults, exits 78 naming every secret and stand-in URL', async () => {
    const { code, stderr } = await runToExit('apps/worker/src/main.ts', PRODUCTION);
    expect(code).toBe(78);
    namesEach(stderr, WORKER_OFFENDERS);
    expect(stderr).toMatch(/STRIPE_BASE_URL: the development default is refused when NODE_ENV=production/);
  });

  it('the worker holds TWILIO_ACCOUNT_SID to AC + 32 hex digits, and asks for METRICS_TOKEN only while it serves /metrics', async () => {
    const { code, stderr } = await runToExit('apps/worker/src/main.ts', { ...PRODUCTION, ...WORKER_VALUES, TWILIO_ACCOUNT_SID: 'AC123', METRICS_TOKEN: '', HEALTH_PORT: '0' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/TWILIO_ACCOUNT_SID: must be AC followed by 32 hex digits when NODE_ENV=production/);
    expect(stderr).not.toMatch(/METRICS_TOKEN/);
    expect(stderr).not.toMatch(/STRIPE|PMS_|PHI_|TWILIO_BASE_URL|TWILIO_AUTH_TOKEN/);
  });

  it('the revos CLI reads the producer settings: production defaults exit 78 before any command runs', async () => {
    const err: string[] = [];
    const code = await runCli(['runs', 'list', '--tenant', 't_prod'], { out: () => {}, err: (t) => err.push(t), env: { ...PRODUCTION, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    expect(code).toBe(78);
    namesEach(err.join('\n'), PRODUCER_OFFENDERS);
  });

  it('development and tests (NODE_ENV unset) still run on every default', () => {
    expect(loadProducerEnv({}).WEBHOOK_SIGNING_SECRET).toBe(DEVELOPMENT_DEFAULTS.WEBHOOK_SIGNING_SECRET);
    const worker = loadWorkerEnv({});
    expect(worker.STRIPE_BASE_URL).toBe(DEVELOPMENT_DEFAULTS.STRIPE_BASE_URL);
    expect(worker.METRICS_TOKEN).toBeUndefined();
  });
});

describe('production with real values', () => {
  let database: TestDatabase;
  const started: Spawned[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const p of started) {
      if (p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await p.exited;
      }
    }
    await database?.drop();
  });

  const base = () => ({ ...PRODUCTION, DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: `prodset-${ulid()}`, MIGRATE_ON_START: 'false', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '1000' });

  it('the producer starts', async () => {
    const producer = await spawnTs('apps/producer/src/main.ts', { ...base(), ...PRODUCER_VALUES, PORT: '0', HOST: '127.0.0.1' }, /"msg":"producer listening"/);
    started.push(producer);
    const listening = producer.output.join('').split('\n').find((l) => l.includes('"msg":"producer listening"'))!;
    const url = (JSON.parse(listening) as { url: string }).url;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
  }, 60_000);

  it('the worker starts; its /metrics asks for the token, its /healthz does not', async () => {
    const port = await freePort();
    const worker = await spawnTs('apps/worker/src/main.ts', { ...base(), ...WORKER_VALUES, HEALTH_PORT: String(port), WORKER_ID: 'prod-settings-worker' }, /"msg":"worker started"/);
    started.push(worker);
    const origin = `http://127.0.0.1:${port}`;
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    const anonymous = await fetch(`${origin}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toMatch(/revos_runs_total/);
    expect((await fetch(`${origin}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const scraped = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/revos_runs_total/);
  }, 60_000);
});

/**
 * A real fleet that sends texts, for the variants that measure it through its front door (`fairness`,
 * `storage`): a producer (HTTP, in this process) and the production worker (a child process, its
 * Twilio adapter pointed at a stand-in answering each send after `vendorMs`) on one database and
 * prefix, with tenants that may text one consenting patient. `submit` posts one WF30_Send_SMS through
 * POST /v1/runs and throws on anything but 202.
 */
import { issueApiKey, setConsent, upsertTenant } from '@revos/db';
import { loadProducerEnv, startProducerProcess } from '@revos/producer';
import { createLogger } from '@revos/runtime';
import postgres from 'postgres';
import { spawnTs } from '../test/support/processes.js';
import { startVendorStandin } from '../test/support/vendor-standin.js';

export const BENCH_SUBJECT = 'p_bench';

export interface TextFleetOptions {
  dbUrl: string;
  prefix: string;
  redisUrl: string;
  tenants: readonly string[];
  vendorMs: number;
  fairShare: boolean;
}

export interface TextFleet {
  /** Two connections on the fleet's database, for the caller's own queries. */
  sql: postgres.Sql;
  submit: (tenant: string, triggerId: string) => Promise<void>;
  /** Runs of `tenant` not yet ended. */
  unfinished: (tenant: string) => Promise<number>;
  close: () => Promise<void>;
}

export async function startTextFleet(o: TextFleetOptions): Promise<TextFleet> {
  const vendor = await startVendorStandin({ answerDelayMs: o.vendorMs });
  const sql = postgres(o.dbUrl, { max: 2, onnotice: () => {} });
  const keys: Record<string, string> = {};
  for (const tenant of o.tenants) {
    await upsertTenant(sql, { tenantId: tenant, name: tenant, config: { sms_from: '+15550000001', practice_name: 'Bench Practice', timezone: 'America/New_York', sms_mps: { '+15550000001': 10_000 } } });
    await setConsent(sql, { tenantId: tenant, subjectId: BENCH_SUBJECT, channel: 'sms', status: 'allow', source: 'bench' });
    keys[tenant] = (await issueApiKey(sql, tenant, 'bench')).api_key;
  }
  const fair = o.fairShare ? 'true' : 'false';
  const worker = await spawnTs(
    'test/support/worker-process.ts',
    {
      DATABASE_URL: o.dbUrl,
      MIGRATE_ON_START: 'false',
      QUEUE_PREFIX: o.prefix,
      REDIS_URL: o.redisUrl,
      WORKER_LANES: 'interactive',
      HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      FAIR_SHARE: fair,
      TWILIO_BASE_URL: vendor.url,
      PMS_BASE_URL: `${vendor.url}/pms`,
    },
    /"ready":true/,
  );
  const producer = await startProducerProcess(
    loadProducerEnv({ DATABASE_URL: o.dbUrl, REDIS_URL: o.redisUrl, QUEUE_PREFIX: o.prefix, PORT: '0', HOST: '127.0.0.1', MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn', FAIR_SHARE: fair }),
    { log: createLogger({ level: 'warn' }) },
  );
  return {
    sql,
    async submit(tenant, triggerId) {
      const res = await fetch(`${producer.url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[tenant]}` },
        body: JSON.stringify({
          meta: { workflow_name: 'WF30_Send_SMS', trigger_source: 'ui', trigger_id: triggerId, environment: 'staging', privacy_mode: 'standard' },
          subject: { patient_id: BENCH_SUBJECT },
          payload: { to: '+15551230000', template: 'appointment_confirmation' },
        }),
      });
      const answer = await res.text();
      if (res.status !== 202) throw new Error(`POST /v1/runs answered ${res.status} for ${tenant}: ${answer.slice(0, 500)}`);
    },
    async unfinished(tenant) {
      const [row] = await sql<{ c: number }[]>`select count(*)::int as c from workflow_runs where tenant_id = ${tenant} and ended_at is null`;
      return row!.c;
    },
    async close() {
      await producer.close();
      worker.child.kill('SIGTERM');
      await worker.exited;
      await vendor.close();
      await sql.end({ timeout: 5 });
    },
  };
}

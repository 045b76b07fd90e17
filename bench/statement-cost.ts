/**
 * What PostgreSQL spends on a fresh run's two statements (the claim and the outcome), measured on the
 * server: the backend's own CPU time (/proc/<pid>/stat), WAL bytes and HOT updates per run, for the
 * schema as migrated and for variants of it (an index dropped, a storage setting changed). The
 * statements are the real ones (`claimIdempotencyKeys`, `recordRunOutcomes` from @revos/db), with the
 * bench workflow's shapes (envelope, output contract, one deduping effect and its event), in batches
 * as the group commit sends them. One connection, one statement at a time, so nothing else is charged.
 *
 * `--batch=1` is the idle case: one run per statement, so each pays the statement's fixed cost alone.
 *
 *   node --conditions=@revos/source --import tsx bench/statement-cost.ts [--variants=base,no-indexes] [--batches=300] [--batch=25] [--pg-url=postgres://postgres@127.0.0.1:5432]
 *
 * Needs the local PostgreSQL with trust auth, on this machine (it reads the backend's /proc entry).
 * Each variant gets a scratch database `revos_stmtcost_<variant>`, dropped at the end.
 */
import { readFileSync } from 'node:fs';
import { acceptRun, claimIdempotencyKeys, migrateDatabase, recordRunOutcomes, type AcceptRunInput, type ClaimRequest, type RunOutcome } from '@revos/db';
import { envelopeHash, keyForEnvelope, toJobId, type OutputContract } from '@revos/envelope';
import postgres from 'postgres';
import { ulid } from 'ulid';

/** The run and event table indexes migration 0016 created (tasks_open_idx is not on the statements' path). */
const INDEXES_OF_0016 = [
  'workflow_runs_key_hash_idx',
  'workflow_runs_parent_hash_idx',
  'workflow_runs_root_hash_idx',
  'workflow_runs_correlation_hash_idx',
  'workflow_runs_trigger_hash_idx',
  'workflow_runs_tenant_ended_idx',
  'events_root_hash_idx',
  'events_run_hash_idx',
];

/** Schema changes tried against the migrated schema; `base` is the schema as shipped. */
const VARIANTS: Record<string, string[]> = {
  base: [],
  'ledger-fillfactor-70': ['alter table idempotency_keys set (fillfactor = 70)'],
  'ledger-fillfactor-50': ['alter table idempotency_keys set (fillfactor = 50)'],
  'runs-lz4': [
    'alter table workflow_runs alter column envelope set compression lz4',
    'alter table workflow_runs alter column output set compression lz4',
    'alter table events alter column payload set compression lz4',
  ],
  'runs-inline': ['alter table workflow_runs set (toast_tuple_target = 8160)'],
  'no-status-index': ['drop index workflow_runs_status_time_idx'],
  // The run-table indexes as they were before migration 0016: the equality-only ids as btrees, no lookup indexes.
  'btree-id-indexes': [
    ...INDEXES_OF_0016.map((name) => `drop index ${name}`),
    'create index workflow_runs_key_idx on workflow_runs (idempotency_key)',
    'create index workflow_runs_parent_idx on workflow_runs (parent_run_id)',
    'create index workflow_runs_root_idx on workflow_runs (root_run_id)',
    'create index events_root_idx on events (root_run_id)',
    'create index events_run_idx on events (workflow_run_id)',
  ],
  // Session settings run on the one connection the statements use.
  'generic-plans': ['set plan_cache_mode = force_generic_plan'],
  'custom-plans': ['set plan_cache_mode = force_custom_plan'],
  'no-indexes': [
    ...INDEXES_OF_0016.map((name) => `drop index ${name}`),
    'drop index workflow_runs_status_time_idx',
    'drop index workflow_runs_tenant_time_idx',
    'drop index events_tenant_time_idx',
    'drop index idempotency_keys_tenant_time_idx',
  ],
};

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const variants = (args.get('variants') ?? 'base').split(',');
const batches = Number(args.get('batches') ?? 300);
const batchSize = Number(args.get('batch') ?? 25);
for (const v of variants) if (!(v in VARIANTS)) throw new Error(`--variants: unknown variant ${v}; known: ${Object.keys(VARIANTS).join(', ')}`);
if (!Number.isInteger(batches) || batches < 1) throw new Error('--batches: must be a positive integer');
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 64) throw new Error('--batch: must be an integer from 1 to 64 (the group commit sends at most 64)');

const PG = args.get('pg-url') ?? 'postgres://postgres@127.0.0.1:5432';
const TENANT = 't_bench_practice';
const WORKFLOW = 'WF98_Bench_Effect';

/**
 * One fresh run of the bench workflow: intake's acceptance (written before the clock starts: the claim
 * checks it, as in production), its claim and its outcome, shaped as the pipeline builds them.
 */
function freshRun(n: number): { accept: AcceptRunInput; claim: ClaimRequest; outcome: RunOutcome } {
  const runId = `wr_${ulid()}`;
  const triggerId = `trg_${ulid()}`;
  const payload = { n };
  const key = keyForEnvelope({ tenant_id: TENANT, workflow_name: WORKFLOW, trigger_id: triggerId, payload });
  const now = new Date();
  const envelope = {
    meta: {
      workflow_name: WORKFLOW, workflow_version: '1.0.0', workflow_run_id: runId, parent_run_id: null, root_run_id: runId,
      idempotency_key: key, trigger_source: 'webhook', trigger_id: triggerId, timestamp_utc: now.toISOString(),
      tenant_id: TENANT, environment: 'staging', privacy_mode: 'standard', correlation_id: `corr_${ulid()}`,
      accepted_at_utc: now.toISOString(),
    },
    subject: {},
    payload,
  };
  const hash = (s: string) => `sha256_${s.padEnd(64, '0').slice(0, 64)}`;
  const eventId = `ev_${ulid()}`;
  const sid = `SM${ulid().toLowerCase()}`;
  const output: OutputContract = {
    meta_out: {
      workflow_name: WORKFLOW, workflow_version: '1.0.0', workflow_run_id: runId, root_run_id: runId, idempotency_key: key,
      started_at_utc: now.toISOString(), ended_at_utc: now.toISOString(), latency_ms: 30, success: true, failure_stage: null,
      failure_reason: null, failure_code: null, outputs_hash: hash('out'), inputs_hash: hash('in'), retry_count: 0, latency_breach: false,
    },
    result: { status: 'ok', summary: 'pinged', primary_outputs: { sid }, next_actions: [] },
    audit: {
      phi_touched: false, consent_checked: false, consent_result: null, disclaimer_used: false,
      data_written: [{ table: 'events', record_id: eventId }],
      external_calls: [{ service: 'standin', endpoint: 'ping', latency_ms: 28, success: true }],
    },
  };
  // The claim's token is filled in once the claim answered (see measure).
  const lease = { idempotencyKey: key, fence: 1, token: '' };
  const accepted = envelopeHash(envelope as never);
  return {
    accept: {
      idempotencyKey: key, workflowRunId: runId, parentRunId: null, rootRunId: runId, correlationId: envelope.meta.correlation_id, tenantId: TENANT,
      workflowName: WORKFLOW, workflowVersion: '1.0.0', jobId: toJobId(key), lane: 'interactive', triggerSource: 'webhook', triggerId,
      privacyMode: 'standard', priority: null, runAfter: null, source: 'api', envelope, envelopeHash: accepted,
    },
    claim: { idempotencyKey: key, tenantId: TENANT, workflowName: WORKFLOW, payloadHash: hash('payload'), workflowRunId: runId, envelopeHash: accepted, workerId: 'stmtcost', lockMs: 30_000 },
    outcome: {
      run: {
        workflowRunId: runId, parentRunId: null, rootRunId: runId, correlationId: envelope.meta.correlation_id, tenantId: TENANT,
        workflowName: WORKFLOW, workflowVersion: '1.0.0', idempotencyKey: key, jobId: toJobId(key), lane: 'interactive',
        triggerSource: 'webhook', triggerId, privacyMode: 'standard', status: 'ok', failureCode: null, failureStage: null,
        retryCount: 0, latencyMs: 30, latencyBreach: false, inputsHash: hash('in'), outputsHash: hash('out'), envelope, output,
        startedAt: now, endedAt: now,
      },
      ledger: { lease, action: 'finish', state: 'completed', resultStatus: 'ok', outputsHash: hash('out') },
      effects: [
        {
          effectName: 'vendor.call', service: 'standin', endpoint: 'ping', result: { sid, status: 'queued', latencyMs: 28 }, latencyMs: 28,
          event: {
            eventId, workflowRunId: runId, rootRunId: runId, tenantId: TENANT, subject: {}, eventType: 'bench.ping', direction: 'outbound',
            payloadRef: `effects/${runId}/vendor.call`, payload: { sid, status: 'queued', latencyMs: 28 },
          },
        },
      ],
    },
  };
}

function backendCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

async function measure(variant: string) {
  const admin = postgres(`${PG}/postgres`, { max: 1, onnotice: () => {} });
  const name = `revos_stmtcost_${variant.replace(/\W/g, '_')}`;
  await admin.unsafe(`drop database if exists ${name}`);
  await admin.unsafe(`create database ${name}`);
  const sql = postgres(`${PG}/${name}`, { max: 1, onnotice: () => {} });
  try {
    await migrateDatabase(`${PG}/${name}`);
    for (const statement of VARIANTS[variant]!) await sql.unsafe(statement);
    const [backend] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const pid = backend!.pid;
    // Intake's work, not the worker's: every run is accepted before the CPU and WAL counters start.
    const all = Array.from({ length: batches * batchSize }, (_, i) => freshRun(i));
    for (const run of all) await acceptRun(sql, run.accept);
    const [walStart] = await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
    const lsnBefore = walStart!.lsn;
    const cpuBefore = backendCpuSeconds(pid);
    const started = performance.now();
    let n = 0;
    let claimCpu = 0;
    let outcomeCpu = 0;
    for (let b = 0; b < batches; b++) {
      const runs = all.slice(n, n + batchSize);
      n += runs.length;
      const beforeClaim = backendCpuSeconds(pid);
      const claims = await claimIdempotencyKeys(sql, runs.map((r) => r.claim));
      const beforeOutcome = backendCpuSeconds(pid);
      claimCpu += beforeOutcome - beforeClaim;
      claims.forEach((claim, i) => {
        if (claim.kind !== 'claimed') throw new Error(`${variant}: claim answered ${claim.kind}`);
        const ledger = runs[i]!.outcome.ledger!;
        ledger.lease.token = claim.token;
      });
      const written = await recordRunOutcomes(sql, runs.map((r) => r.outcome));
      outcomeCpu += backendCpuSeconds(pid) - beforeOutcome;
      if (written.some((w) => !w)) throw new Error(`${variant}: an outcome lost its lease`);
    }
    const wallMs = performance.now() - started;
    const cpuMs = (backendCpuSeconds(pid) - cpuBefore) * 1000;
    const [wal] = await sql<{ bytes: string }[]>`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsnBefore}::pg_lsn)::text as bytes`;
    const [hot] = await sql<{ upd: string; hot: string }[]>`
      select n_tup_upd::text as upd, n_tup_hot_upd::text as hot from pg_stat_user_tables where relname = 'idempotency_keys'`;
    return {
      variant,
      runs: n,
      pgCpuMsPerRun: +(cpuMs / n).toFixed(3),
      // Summed over many statements, the 10 ms ticks of /proc give an unbiased split.
      claimCpuMsPerRun: +((claimCpu * 1000) / n).toFixed(3),
      outcomeCpuMsPerRun: +((outcomeCpu * 1000) / n).toFixed(3),
      wallMsPerRun: +(wallMs / n).toFixed(3),
      walBytesPerRun: Math.round(Number(wal!.bytes) / n),
      ledgerHotUpdates: hot ? `${hot.hot}/${hot.upd}` : '–',
    };
  } finally {
    await sql.end();
    await admin.unsafe(`drop database if exists ${name}`);
    await admin.end();
  }
}

console.log(`batches of ${batchSize}, ${batches} batches per variant (claim, then outcome, one connection)`);
console.log('| variant | runs | PostgreSQL CPU per run (ms) | of which claim / outcome | wall per run (ms) | WAL per run (bytes) | ledger HOT updates |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const variant of variants) {
  const r = await measure(variant);
  console.log(`| ${r.variant} | ${r.runs} | ${r.pgCpuMsPerRun} | ${r.claimCpuMsPerRun} / ${r.outcomeCpuMsPerRun} | ${r.wallMsPerRun} | ${r.walBytesPerRun} | ${r.ledgerHotUpdates} |`);
}

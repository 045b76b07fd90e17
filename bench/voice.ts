/**
 * The `voice` variant: what request–reply and the voice webhook add to a live call's turn.
 *
 * A real producer process (apps/producer's main, as deployed) and a real worker process (realtime lane,
 * the production worker with its adapters pointed at the stand-in) share a fresh database and prefix;
 * the calls are made from this process, as Twilio would from elsewhere. (Until issue 27 the producer ran
 * inside this process, so the caller's own HTTP client and signing shared the producer's event loop.) Each call is
 * one signed `POST /webhooks/twilio/:tenant/voice?turn=1` with a SpeechResult ("talk to someone":
 * WF17 understands it, records the call's state and answers `<Dial>`, no vendor call). For each we
 * take the time from sending the request to having the TwiML (`total`), the run's own time in the
 * worker (`workflow`: its row's started_at → ended_at, claim to recorded outcome), and
 * `overhead = total − workflow`: intake, the queue, pickup, the reply's publication and delivery,
 * and the TwiML. p50/p99 at 1, 50 and 100 calls at once (each call's next turn sent as soon as the last
 * was answered: a caller who never pauses, so 50 such calls are a heavier load than 50 people talking).
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { upsertTenant } from '@revos/db';
import { twilioSignature } from '@revos/producer';
import postgres from 'postgres';
import { freePort, REPO_ROOT, spawnTs } from '../test/support/processes.js';
import { startCpuWindow } from './proc-cpu.js';
import { round, summarise, type LatencySummary } from './shared.js';

export const VOICE_TENANT = 't_bench_voice';
const TWILIO_TOKEN = 'bench-twilio-token';
const SPEECH = 'I would like to talk to someone';

export interface VoiceLevel {
  concurrency: number;
  calls: number;
  /** Calls answered by WF17 in time (the rest got the fallback at the deadline). */
  answered: number;
  total: LatencySummary;
  workflow: LatencySummary;
  overhead: LatencySummary;
  /** Turns answered per second over the level (calls / wall time). */
  turns_per_s: number;
  /** CPU ms per turn by process: caller (this process's HTTP client), producer, worker, postgres, redis; machine = all cores busy. */
  cpu_ms_per_turn: Record<string, number>;
}

export interface VoiceResult {
  variant: 'voice';
  budget_ms: number;
  levels: VoiceLevel[];
}

export interface VoiceBenchDeps {
  dbUrl: string;
  prefix: string;
  redisUrl: string;
  vendorUrl: string;
  /** Calls measured per concurrency level (after 20 sequential warm-up calls, and 2 × concurrency unmeasured calls at each level). */
  calls: number;
  log: (line: string) => void;
}

interface Sample {
  runId: string;
  totalMs: number;
  answered: boolean;
  /** When the call was sent (performance.now()). */
  sentAt: number;
}

export async function voiceVariant(d: VoiceBenchDeps): Promise<VoiceResult> {
  const sql = postgres(d.dbUrl, { max: 2, onnotice: () => {} });
  await upsertTenant(sql, {
    tenantId: VOICE_TENANT,
    name: 'Bench voice practice',
    config: { front_desk_phone: '+15550000004', practice_id: 'prac_bench', timezone: 'America/New_York' },
  });
  const worker = await spawnTs(
    'test/support/worker-process.ts',
    {
      DATABASE_URL: d.dbUrl,
      MIGRATE_ON_START: 'false',
      QUEUE_PREFIX: d.prefix,
      REDIS_URL: d.redisUrl,
      WORKER_LANES: 'realtime',
      CONCURRENCY_REALTIME: '64',
      HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      TWILIO_BASE_URL: d.vendorUrl,
      PMS_BASE_URL: `${d.vendorUrl}/pms`,
    },
    /"ready":true/,
  );
  const producer = await startProducerChild({ DATABASE_URL: d.dbUrl, REDIS_URL: d.redisUrl, QUEUE_PREFIX: d.prefix, MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn', TWILIO_AUTH_TOKEN: TWILIO_TOKEN });
  const url = `${producer.url}/webhooks/twilio/${VOICE_TENANT}/voice?turn=1`;

  const call = async (): Promise<Sample> => {
    const form = { CallSid: `CA${randomBytes(16).toString('hex')}`, From: '+15551230000', To: '+15550000003', SpeechResult: SPEECH, Confidence: '0.9' };
    const t0 = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, form) },
      body: new URLSearchParams(form).toString(),
    });
    await res.text();
    const totalMs = performance.now() - t0;
    if (res.status !== 200) throw new Error(`voice webhook answered ${res.status}`);
    return { runId: res.headers.get('x-revos-run-id') ?? '', totalMs, answered: res.headers.get('x-revos-reply') === 'answered', sentAt: t0 };
  };

  const level = async (concurrency: number): Promise<VoiceLevel> => {
    const samples: Sample[] = [];
    // The first waves at a new level are not measured: going from 1 to 50 callers at once, the producer
    // opens more pool connections and the worker takes its first batch, and those first 50 turns were
    // the whole slowest 1% (all sent within 72 ms of the level's start). Measured: steady calls after.
    const warmup = 2 * concurrency;
    let next = 0;
    let cpu: ReturnType<typeof startCpuWindow> | undefined;
    let startedAt = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < warmup + d.calls) {
          const i = next++;
          if (i === warmup) {
            cpu = startCpuWindow({ pids: { caller: process.pid, producer: producer.child.pid!, worker: worker.child.pid! }, commands: { postgres: 'postgres', redis: 'redis-server' } });
            startedAt = performance.now();
          }
          const sample = await call();
          if (i >= warmup) samples.push(sample);
        }
      }),
    );
    const wallMs = performance.now() - startedAt;
    // Where the tail sits in time: bunched (a stall of something shared) or spread (queueing).
    const slowest = [...samples].sort((a, b) => b.totalMs - a.totalMs).slice(0, Math.max(1, Math.ceil(samples.length / 100)));
    const tailAt = slowest.map((x) => `${Math.round(x.sentAt - startedAt)}:${Math.round(x.totalMs)}`).join(' ');
    const cpuMs = cpu!.stop();
    // The run's own time, from its row; a run that fell back may still be going: wait for it to end.
    const ids = samples.map((s) => s.runId);
    let rows: { workflow_run_id: string; workflow_ms: number | null }[] = [];
    for (let i = 0; i < 200; i++) {
      rows = await sql`
        select workflow_run_id, extract(epoch from (ended_at - started_at)) * 1000 as workflow_ms
          from workflow_runs where workflow_run_id in ${sql(ids)} and ended_at is not null`;
      if (rows.length === ids.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const own = new Map(rows.map((r) => [r.workflow_run_id, Number(r.workflow_ms)]));
    const measured = samples.filter((s) => own.has(s.runId));
    const result: VoiceLevel = {
      concurrency,
      calls: samples.length,
      answered: samples.filter((s) => s.answered).length,
      total: summarise(measured.map((s) => s.totalMs)),
      workflow: summarise(measured.map((s) => own.get(s.runId)!)),
      overhead: summarise(measured.map((s) => s.totalMs - own.get(s.runId)!)),
      turns_per_s: round((samples.length / wallMs) * 1000, 1),
      cpu_ms_per_turn: Object.fromEntries(Object.entries(cpuMs).map(([group, ms]) => [group, round(ms / samples.length, 2)])),
    };
    d.log(
      `voice@${concurrency}: ${result.calls} calls, ${result.answered} answered in time; total p50 ${result.total.p50_ms} / p99 ${result.total.p99_ms} ms, ` +
        `workflow p50 ${result.workflow.p50_ms} / p99 ${result.workflow.p99_ms} ms, overhead p50 ${result.overhead.p50_ms} / p99 ${result.overhead.p99_ms} ms; ` +
        `${result.turns_per_s} turns/s, CPU ms per turn ${JSON.stringify(result.cpu_ms_per_turn)}; slowest 1% (sent at ms into the level: total ms) ${tailAt}`,
    );
    return result;
  };

  try {
    for (let i = 0; i < 20; i++) await call(); // warm-up: connections, JIT, the first subscription
    const levels = [await level(1), await level(50), await level(100)];
    return { variant: 'voice', budget_ms: 2_500, levels };
  } finally {
    await producer.stop();
    worker.child.kill('SIGTERM');
    await worker.exited;
    await sql.end({ timeout: 5 });
  }
}

/**
 * The producer as its own process on a free port, at LOG_LEVEL warn (it then prints nothing at start,
 * so readiness is its /healthz answering).
 */
async function startProducerChild(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=@revos/source', '--import', 'tsx', 'apps/producer/src/main.ts'], {
    cwd: REPO_ROOT,
    // Only what it is given (bench settings come through env.ts): the producer reads nothing else it needs.
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`voice: the producer exited before it was ready:\n${stderr}`);
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    if (waited > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`voice: the producer did not answer /healthz in 60 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The markdown section of the voice variant. */
export function renderVoice(v: VoiceResult): string[] {
  const lines = ['## Voice turn (webhook → TwiML, request–reply)', ''];
  lines.push('| concurrent calls | calls | answered in time | total p50 / p99 (ms) | workflow p50 / p99 (ms) | overhead p50 / p99 (ms) | turns/s | CPU ms per turn: caller / producer / worker / PostgreSQL / Redis / all cores |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const l of v.levels) {
    const c = l.cpu_ms_per_turn ?? {};
    lines.push(
      `| ${l.concurrency} | ${l.calls} | ${l.answered} | ${round(l.total.p50_ms, 1)} / ${round(l.total.p99_ms, 1)} | ${round(l.workflow.p50_ms, 1)} / ${round(l.workflow.p99_ms, 1)} | ${round(l.overhead.p50_ms, 1)} / ${round(l.overhead.p99_ms, 1)} | ` +
        `${l.turns_per_s ?? '–'} | ${['caller', 'producer', 'worker', 'postgres', 'redis', 'machine'].map((g) => c[g] ?? '–').join(' / ')} |`,
    );
  }
  lines.push('', '"overhead" = total − the run\'s own time in the worker (its row\'s started_at → ended_at): intake, queue, pickup, reply publication and delivery, TwiML.', '');
  return lines;
}

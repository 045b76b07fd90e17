#!/usr/bin/env node
// `npm start`: the fleet on this machine, run from TypeScript source (no build needed).
//   1. When Redis or PostgreSQL does not answer, scripts/ensure-services.sh starts the local services.
//   2. Without TWILIO_BASE_URL, the vendor stand-in simulates Twilio and the PMS on VENDOR_STANDIN_PORT
//      (default 4010); without STRIPE_BASE_URL, the Stripe stand-in simulates payments on
//      STRIPE_STANDIN_PORT (default 4011); without POSTMARK_BASE_URL (or SMTP_URL), the Postmark stand-in
//      simulates email on POSTMARK_STANDIN_PORT (default 4012). A bad port exits 78 naming the variable, as the apps do.
//   3. The worker and the producer (API, webhooks, dispatcher, reconciler, cron) run with this
//      process's stdio and environment.
// SIGINT/SIGTERM stop every child; when any child exits, the others are stopped and this process
// exits with the first non-zero exit code. Containers run the built JS instead (see Dockerfile).
import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
/** Node flags that run workspace TypeScript through each package's `@revos/source` export. */
const TS = ['--conditions=@revos/source', '--import', 'tsx'];

const log = (msg, fields = {}) =>
  console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), service: 'start', ...fields, msg }));

/** A stand-in's port from `name` (0: any free one), or exit 78 naming the variable and its rule. */
function standinPort(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port > 65_535) {
    // The apps' own wording for a bad setting (see env.ts), so one grep finds either.
    console.error(`invalid configuration\n  ${name}: must be a port number 0..65535, got ${JSON.stringify(raw)}`);
    process.exit(78);
  }
  return port;
}
// Read before anything starts, so a typo stops the fleet at once rather than after the services came up.
const STANDIN_PORT = standinPort('VENDOR_STANDIN_PORT', 4010);
const STRIPE_STANDIN_PORT = standinPort('STRIPE_STANDIN_PORT', 4011);
const POSTMARK_STANDIN_PORT = standinPort('POSTMARK_STANDIN_PORT', 4012);

/**
 * The `host:port` pairs of a URL, without WHATWG's URL parser: a PostgreSQL failover pair
 * (`postgres://h1:5432,h2:5433/revos?target_session_attrs=read-write`) lists several, which `new URL` refuses.
 */
function hostsOf(url, defaultPort) {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const hosts = authority.slice(authority.lastIndexOf('@') + 1);
  return hosts.split(',').map((entry) => {
    const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(entry);
    const host = (match?.[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
    return { host, port: Number(match?.[2] || defaultPort) };
  });
}

/** True when something accepts TCP connections at one of the URL's hosts (any host of a failover list). */
async function answers(url, defaultPort) {
  const answered = await Promise.all(hostsOf(url, defaultPort).map(({ host, port }) => answersAt(host, port)));
  return answered.some(Boolean);
}

function answersAt(host, port) {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

// The same defaults as apps/worker/src/env.ts, so "does it answer" asks about the servers the worker will use.
const redisUp = await answers(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 6379);
const postgresUp = await answers(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/revos', 5432);
if (!redisUp || !postgresUp) {
  const ensured = spawnSync('bash', ['scripts/ensure-services.sh'], { cwd: root, stdio: 'inherit' });
  if (ensured.status !== 0) process.exit(1);
}

/** The children still running; `env` is what each newly started child gets. */
const live = new Set();
const env = { ...process.env };
let stopping = false;
let exitCode = 0;

function stopAll() {
  if (stopping) return;
  stopping = true;
  // Always SIGTERM: Ctrl-C already sent SIGINT to the whole process group, and the worker handles
  // one SIGINT; a second one would kill it without draining in-flight runs.
  for (const child of live) child.kill('SIGTERM');
}

function start(name, args, stdout = 'inherit') {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['inherit', stdout, 'inherit'] });
  live.add(child);
  child.once('exit', (code, signal) => {
    live.delete(child);
    exitCode ||= code ?? 1;
    if (!stopping) log(`${name} exited; stopping the rest`, { code, signal });
    stopAll();
    if (live.size === 0) process.exit(exitCode);
  });
  return child;
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stopAll);
// A crash of this script must not leave children behind.
process.on('exit', () => live.forEach((child) => child.kill('SIGKILL')));

// The processes, started in order; each entry may wait for its child to be ready.
const processes = [];
if (!process.env.TWILIO_BASE_URL) {
  processes.push({
    name: 'vendor-standin',
    args: [...TS, 'test/support/vendor-standin-main.ts', String(STANDIN_PORT)],
    stdout: 'pipe',
    // The stand-in prints `{"url":...}` once listening; the worker is pointed at it, and any
    // further output is passed through.
    ready: (child) =>
      new Promise((done) => {
        const lines = createInterface({ input: child.stdout });
        lines.once('line', (line) => {
          const { url } = JSON.parse(line);
          env.TWILIO_BASE_URL = url;
          env.PMS_BASE_URL ??= `${url}/pms`;
          log('vendors are simulated: Twilio and the PMS are the local stand-in; set TWILIO_BASE_URL and PMS_BASE_URL to use real ones', { url });
          lines.on('line', (more) => console.log(more));
          done();
        });
      }),
  });
}
if (!process.env.STRIPE_BASE_URL) {
  processes.push({
    name: 'stripe-standin',
    args: [...TS, 'test/support/stripe-standin-main.ts', String(STRIPE_STANDIN_PORT)],
    stdout: 'pipe',
    ready: (child) =>
      new Promise((done) => {
        const lines = createInterface({ input: child.stdout });
        lines.once('line', (line) => {
          const { url, secret_key: secretKey } = JSON.parse(line);
          env.STRIPE_BASE_URL = url;
          env.STRIPE_SECRET_KEY = secretKey;
          log('payments are simulated: Stripe is the local stand-in (pm_card_visa succeeds, pm_card_chargeDeclined declines); set STRIPE_BASE_URL and STRIPE_SECRET_KEY to use Stripe', { url });
          lines.on('line', (more) => console.log(more));
          done();
        });
      }),
  });
}
if (!process.env.POSTMARK_BASE_URL && !process.env.SMTP_URL) {
  processes.push({
    name: 'postmark-standin',
    args: [...TS, 'test/support/postmark-standin-main.ts', String(POSTMARK_STANDIN_PORT)],
    stdout: 'pipe',
    ready: (child) =>
      new Promise((done) => {
        const lines = createInterface({ input: child.stdout });
        lines.once('line', (line) => {
          const { url, server_token: serverToken } = JSON.parse(line);
          env.POSTMARK_BASE_URL = url;
          env.POSTMARK_SERVER_TOKEN = serverToken;
          // Local only: the tenants' Postmark webhook credentials derive from it (`npx revos email webhook-urls <tenant>`).
          env.POSTMARK_WEBHOOK_SECRET ??= 'local-postmark-webhook-secret';
          log('email is simulated: Postmark is the local stand-in (it prints each email it accepts); set POSTMARK_BASE_URL and POSTMARK_SERVER_TOKEN to use Postmark', { url });
          lines.on('line', (more) => console.log(more));
          done();
        });
      }),
  });
}
processes.push({ name: 'worker', args: [...TS, 'apps/worker/src/main.ts'] });
processes.push({ name: 'producer', args: [...TS, 'apps/producer/src/main.ts'] });

for (const { name, args, stdout, ready } of processes) {
  if (stopping) break;
  const child = start(name, args, stdout);
  await ready?.(child);
}
if (!stopping) {
  log('fleet starting', { api: `http://127.0.0.1:${process.env.PORT ?? 3000}`, worker_health: `http://127.0.0.1:${process.env.HEALTH_PORT ?? 8081}/healthz` });
}

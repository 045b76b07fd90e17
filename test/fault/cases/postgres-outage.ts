/**
 * Fault case 5: PostgreSQL unreachable from the workers mid-load. A TCP proxy the test owns sits
 * between the fleet and the server; the cut destroys every open connection and resets new ones for
 * the outage, then lets them through again. The machine's server never stops. The intake keeps its
 * direct connection (a producer on the other side of the partition), so a backlog builds up while
 * the workers are cut off, and must drain after the restore with nothing written twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFaultRuns, NO_VIOLATIONS, violations, waitForFinal, type AcceptedRun } from '../../support/fault-audit.js';
import { startFaultFleet, type FaultFleet } from '../../support/fault-fleet.js';
import { SEND_DEDUPED, SEND_ONCE } from '../../support/fault-workflows.js';
import { sleep } from '../../support/harness.js';
import { PG_BASE_URL } from '../../support/pg.js';
import { startPgBouncer, type PrivatePgBouncer } from '../../support/pgbouncer.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

export interface PostgresOutageProfile {
  name: 'short' | 'full';
  outageMs: number;
  runsPerSecond: number;
  /** Load before the cut and after the restore, ms each. */
  loadAroundMs: number;
  drainTimeoutMs: number;
  /**
   * `pgbouncer`: the workers reach the proxy through a PgBouncer in transaction mode (DATABASE_POOLER=
   * transaction), as a fleet behind a pooler does: the cut is between the pooler and the server.
   */
  pooler?: 'pgbouncer';
}

const rand = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

export function postgresOutageSuite(profile: PostgresOutageProfile): void {
  let proxy: TcpProxy;
  let fleet: FaultFleet;
  let bouncer: PrivatePgBouncer | undefined;

  beforeAll(async () => {
    const server = new URL(PG_BASE_URL);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    if (profile.pooler === 'pgbouncer') bouncer = await startPgBouncer({ serverHost: '127.0.0.1', serverPort: proxy.port, poolMode: 'transaction' });
    fleet = await startFaultFleet({
      vendorDelayMs: 150,
      workerDatabaseUrl: (database) => {
        const url = new URL(database.url);
        url.hostname = '127.0.0.1';
        url.port = String(bouncer?.port ?? proxy.port);
        return url.toString();
      },
      ...(bouncer ? { workerPooler: 'transaction' as const } : {}),
    });
  });
  afterAll(async () => {
    proxy?.restore();
    await fleet?.close();
    await bouncer?.stop();
    await proxy?.close();
  });

  const timeoutMs = profile.outageMs + 2 * profile.loadAroundMs + profile.drainTimeoutMs + 60_000;

  describe(`fault#5 (${profile.name}${profile.pooler ? `, through ${profile.pooler}` : ''}): PostgreSQL unreachable for ${profile.outageMs / 1000} s mid-load`, () => {
    it('parks and retries runs with backoff, writes nothing twice, and drains the backlog after the restore', async () => {
      const accepted: AcceptedRun[] = [];
      let phase: 'before' | 'outage' | 'after' = 'before';
      const submittedIn = { before: 0, outage: 0, after: 0 };
      let loading = true;
      const load = (async () => {
        let n = 0;
        while (loading) {
          const workflow = n++ % 2 === 0 ? SEND_DEDUPED : SEND_ONCE;
          const { accepted: run, status } = await fleet.submit(workflow, { to: `+1555${String(rand(0, 9_999_999)).padStart(7, '0')}`, pre_ms: rand(0, 300), post_ms: rand(0, 300) });
          if (status === 'queued') {
            accepted.push(run);
            submittedIn[phase] += 1;
          }
          await sleep(1_000 / profile.runsPerSecond);
        }
      })();

      await sleep(profile.loadAroundMs);
      phase = 'outage';
      proxy.cut();
      const cutAt = Date.now();
      await sleep(profile.outageMs);
      proxy.restore();
      const outageMs = Date.now() - cutAt;
      phase = 'after';
      await sleep(profile.loadAroundMs);
      loading = false;
      await load;

      const drainMs = await waitForFinal(fleet.db, accepted.map((r) => r.workflowRunId), profile.drainTimeoutMs);
      const f = await auditFaultRuns(fleet.db, fleet.vendor, accepted);
      const parked = fleet.logLines.filter((l) => l['msg'] === 'infrastructure unavailable; job parked');
      const maxParkMs = Math.max(0, ...parked.map((l) => Number(l['delay_ms'] ?? 0)));
      const [retries] = await fleet.db.sql<{ n: number }[]>`select count(*)::int as n from events where event_type = 'run.retry_scheduled'`;
      const dedupeOk = accepted.filter((r) => r.workflow === SEND_DEDUPED).length;
      console.log(
        `fault#5 profile=${profile.name}${profile.pooler ? ` pooler=${profile.pooler}` : ''} outage_ms=${outageMs} runs=${f.accepted} (before=${submittedIn.before} during=${submittedIn.outage} after=${submittedIn.after}) ` +
          `ok=${f.ok} outcome_unknown=${f.outcomeUnknown} parked=${parked.length} max_park_ms=${maxParkMs} retries_recorded=${retries?.n ?? 0} ` +
          `connections_reset=${proxy.stats.refused} dedupe_resends=${f.dedupedResends} double_sends=${f.doubleSends.length} duplicate_events=${f.duplicateEvents} ` +
          `unexpected=${f.unexpected.length} lost=${f.lost.length} drain_ms_after_load=${drainMs}`,
      );

      expect(violations(f)).toEqual(NO_VIOLATIONS);
      expect(f.ok + f.outcomeUnknown).toBe(f.accepted);
      // Runs against a deduping vendor have no excuse: every one of them is ok.
      const dedupeFinished = await fleet.db.sql<{ n: number }[]>`
        select count(*)::int as n from workflow_runs where workflow_name = ${SEND_DEDUPED} and status = 'ok'`;
      expect(dedupeFinished[0]?.n).toBe(dedupeOk);
      expect(submittedIn.outage).toBeGreaterThan(0);
      expect(parked.length).toBeGreaterThan(0); // the outage was felt, and handled by parking
      for (const w of fleet.workers) expect(w.isRunning()).toBe(true);
    }, timeoutMs);
  });
}

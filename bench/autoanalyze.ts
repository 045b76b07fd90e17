/**
 * Autovacuum's ANALYZE, for a bench server that runs without autovacuum.
 *
 * The machine's PostgreSQL has `autovacuum = off`; no production server runs that way. Without it a
 * table's statistics are never refreshed, and a statement prepared while its table was empty keeps
 * the plan made then: `idempotency_keys` starts each variant empty, so the worker's lease update kept a
 * hash join over a sequential scan of the whole table, and every batch read every key written so far
 * (fleet-rss fell from 737 to 588 runs/s between its first and second 20,000 runs, and recovered
 * to 837 after one manual ANALYZE). Each variant's database gets what autovacuum would do: every
 * `everyMs` (the bench's default is autovacuum's own naptime, 60 s), any table changed by more than
 * autovacuum's default analyze threshold (50 rows + 10 % of its rows) since its last ANALYZE is
 * analyzed, which also invalidates the plans built on the old figures. More often is not closer to
 * production: tables that grow from empty cross that threshold at every pass, and each ANALYZE makes
 * every pooled connection plan its statements again. It runs for every variant alike, the peers included.
 */
import postgres from 'postgres';

export interface AutoAnalyzer {
  /** Stops the loop; how many tables it analyzed. */
  stop(): Promise<number>;
}

/** autovacuum_analyze_threshold and autovacuum_analyze_scale_factor at PostgreSQL's defaults. */
const THRESHOLD_ROWS = 50;
const SCALE_FACTOR = 0.1;

/** Whether the server runs autovacuum (then nothing here is needed). */
export async function serverRunsAutovacuum(adminSql: postgres.Sql): Promise<boolean> {
  const [row] = await adminSql<{ autovacuum: string }[]>`show autovacuum`;
  return row?.autovacuum === 'on';
}

export function startAutoAnalyze(dbUrl: string, everyMs: number, onError: (message: string) => void): AutoAnalyzer {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  let analyzed = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();

  const analyzeStale = async () => {
    // Every schema's tables: graphile-worker keeps its jobs in its own.
    const stale = await sql<{ schemaname: string; relname: string }[]>`
      select s.schemaname, s.relname from pg_stat_user_tables s join pg_class c on c.oid = s.relid
       where s.n_mod_since_analyze > ${THRESHOLD_ROWS} + ${SCALE_FACTOR} * greatest(c.reltuples, 0)`;
    for (const { schemaname, relname } of stale) {
      if (stopped) return;
      await sql`analyze ${sql(schemaname)}.${sql(relname)}`;
      analyzed += 1;
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      pass = analyzeStale()
        .catch((error: unknown) => onError(`autoanalyze: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => {
          if (!stopped) schedule();
        });
    }, everyMs);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await pass;
      await sql.end({ timeout: 5 });
      return analyzed;
    },
  };
}

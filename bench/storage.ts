/**
 * The `storage` variant: what a text costs the database to keep (issue "Ahead of every peer", item 5).
 *
 * One practice submits N texts through POST /v1/runs at a steady rate to a real fleet (`text-fleet.ts`),
 * in two halves with a VACUUM between them (what autovacuum does in a fleet that runs for days). Each
 * table's growth over the second half, read from PostgreSQL's own relation sizes, divided by its texts,
 * is what a further text costs to keep: the heap (main fork), its indexes and its TOAST (TOAST table
 * and index), with the rows it gained. The first half's growth before the VACUUM (dead row versions
 * included) is reported beside it.
 */
import type postgres from 'postgres';
import { round } from './shared.js';
import { startTextFleet, type TextFleet } from './text-fleet.js';

const TENANT = 't_bench_storage';
/** Item 5's target: bytes the database keeps per text. */
export const STORAGE_TARGET_BYTES_PER_TEXT = 3 * 1024;

export interface TableGrowth {
  table: string;
  rows: number;
  heap_bytes: number;
  index_bytes: number;
  toast_bytes: number;
}

export interface StorageResult {
  variant: 'storage';
  texts: number;
  rate_per_s: number;
  elapsed_s: number;
  /** The texts the per-text figures are divided by: the second half's. */
  per_text_of: number;
  /** Each table's growth over the second half, sent after a VACUUM of the first: what a further text costs. */
  tables: TableGrowth[];
  /** Sum over the tables of heap + indexes + TOAST, per text of the second half (the target's figure). */
  bytes_per_text: number;
  /** pg_database_size's growth per text over the second half. */
  database_bytes_per_text: number;
  /** The first half's growth per text before any VACUUM, dead row versions included. */
  as_written_bytes_per_text: number;
  /** The widest columns of the texts' rows: average stored bytes (pg_column_size, compressed where TOAST compressed it). */
  widest_columns: { table: string; column: string; avg_bytes: number }[];
  /**
   * How full each heap is at the end (pgstattuple, when the server has it; null otherwise): the live rows' own bytes
   * per row, and the share of the heap they fill. The heap's growth per text is the row over the fill, and the fill
   * moves from run to run with how a run's two row versions (queued, then final) happened to share pages.
   */
  heap_fill: HeapFill[] | null;
}

export interface HeapFill {
  table: string;
  live_bytes_per_row: number;
  /** Live rows' bytes / the heap's bytes, 0–1. */
  fill: number;
  dead_bytes: number;
  free_bytes: number;
}

export interface StorageBenchDeps {
  dbUrl: string;
  prefix: string;
  redisUrl: string;
  n: number;
  ratePerS: number;
  log: (line: string) => void;
}

interface Sizes {
  database: number;
  tables: Map<string, TableGrowth>;
}

async function sizes(sql: postgres.Sql): Promise<Sizes> {
  const rows = await sql<{ table: string; heap_bytes: string; index_bytes: string; toast_bytes: string }[]>`
    select c.relname as table,
           pg_relation_size(c.oid) as heap_bytes,
           pg_indexes_size(c.oid) as index_bytes,
           coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) as toast_bytes
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r'`;
  const tables = new Map<string, TableGrowth>();
  for (const r of rows) {
    // Exact counts: the planner's estimates lag right after a burst of inserts.
    const [count] = await sql<{ c: number }[]>`select count(*)::int as c from ${sql(r.table)}`;
    tables.set(r.table, { table: r.table, rows: count!.c, heap_bytes: Number(r.heap_bytes), index_bytes: Number(r.index_bytes), toast_bytes: Number(r.toast_bytes) });
  }
  const [db] = await sql<{ bytes: string }[]>`select pg_database_size(current_database()) as bytes`;
  return { database: Number(db!.bytes), tables };
}

export async function storageVariant(d: StorageBenchDeps): Promise<StorageResult> {
  const fleet = await startTextFleet({ dbUrl: d.dbUrl, prefix: d.prefix, redisUrl: d.redisUrl, tenants: [TENANT], vendorMs: 0, fairShare: true });
  try {
    const half = Math.floor(d.n / 2);
    const t0 = performance.now();
    const before = await sizes(fleet.sql);
    await sendTexts(fleet, d.ratePerS, 0, half);
    const firstHalf = await sizes(fleet.sql);
    // What autovacuum does in a fleet that runs for days: the first half's dead row versions become free space
    // the second half's rows reuse, so the second half's growth is what each further text costs to keep.
    await fleet.sql`vacuum`;
    const vacuumed = await sizes(fleet.sql);
    await sendTexts(fleet, d.ratePerS, half, d.n);
    const after = await sizes(fleet.sql);
    const elapsed_s = (performance.now() - t0) / 1000;
    const [ok] = await fleet.sql<{ c: number }[]>`select count(*)::int as c from workflow_runs where tenant_id = ${TENANT} and status = 'ok'`;
    if (ok!.c !== d.n) throw new Error(`storage: ${ok!.c} of ${d.n} texts ended ok`);

    const asWritten = growth(before, firstHalf);
    const tables = growth(vacuumed, after);
    const widest_columns = await widestColumns(fleet.sql, tables.map((t) => t.table));
    const heap_fill = await heapFill(fleet.sql, tables.map((t) => t.table));
    const secondHalf = d.n - half;
    const result: StorageResult = {
      variant: 'storage',
      texts: d.n,
      rate_per_s: d.ratePerS,
      elapsed_s: round(elapsed_s, 1),
      per_text_of: secondHalf,
      tables,
      bytes_per_text: Math.round(tables.reduce((s, t) => s + totalBytes(t), 0) / secondHalf),
      database_bytes_per_text: Math.round((after.database - vacuumed.database) / secondHalf),
      as_written_bytes_per_text: Math.round(asWritten.reduce((s, t) => s + totalBytes(t), 0) / half),
      widest_columns,
      heap_fill,
    };
    d.log(
      `storage: ${d.n} texts at ${d.ratePerS}/s in ${result.elapsed_s} s; ${result.bytes_per_text} B per text kept ` +
        `(${result.database_bytes_per_text} B by pg_database_size), ${result.as_written_bytes_per_text} B as first written`,
    );
    return result;
  } finally {
    await fleet.close();
  }
}

/** Texts [from, to) submitted at `ratePerS`, then waited for until every run ended. */
async function sendTexts(fleet: TextFleet, ratePerS: number, from: number, to: number): Promise<void> {
  const t0 = performance.now();
  const gapMs = 1000 / ratePerS;
  const inFlight: Promise<void>[] = [];
  for (let i = from; i < to; i++) {
    // Paced from the start time, not from the previous answer, so a slow answer does not lower the rate.
    const wait = t0 + (i - from) * gapMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(fleet.submit(TENANT, `storage-${i}`));
  }
  await Promise.all(inFlight);
  while ((await fleet.unfinished(TENANT)) > 0) await new Promise((r) => setTimeout(r, 200));
}

function totalBytes(t: TableGrowth): number {
  return t.heap_bytes + t.index_bytes + t.toast_bytes;
}

/** Each table's growth from `from` to `to`, the largest first; tables that did not change are left out. */
function growth(from: Sizes, to: Sizes): TableGrowth[] {
  const tables: TableGrowth[] = [];
  for (const [name, a] of to.tables) {
    const b = from.tables.get(name) ?? { rows: 0, heap_bytes: 0, index_bytes: 0, toast_bytes: 0 };
    const grown = { table: name, rows: a.rows - b.rows, heap_bytes: a.heap_bytes - b.heap_bytes, index_bytes: a.index_bytes - b.index_bytes, toast_bytes: a.toast_bytes - b.toast_bytes };
    if (grown.rows !== 0 || totalBytes(grown) !== 0) tables.push(grown);
  }
  return tables.sort((x, y) => totalBytes(y) - totalBytes(x));
}

/** Average pg_column_size of every column of the given tables, the widest ten over all of them. */
async function widestColumns(sql: postgres.Sql, tables: readonly string[]): Promise<StorageResult['widest_columns']> {
  const found: StorageResult['widest_columns'] = [];
  for (const table of tables) {
    const columns = await sql<{ column: string }[]>`
      select column_name as column from information_schema.columns where table_schema = 'public' and table_name = ${table}`;
    for (const { column } of columns) {
      const [row] = await sql<{ avg: number | null }[]>`select avg(pg_column_size(${sql(column)}))::float8 as avg from ${sql(table)}`;
      if (row!.avg !== null) found.push({ table, column, avg_bytes: Math.round(row!.avg) });
    }
  }
  return found.sort((a, b) => b.avg_bytes - a.avg_bytes).slice(0, 10);
}

/** pgstattuple's view of each table's heap, or null when the extension is not installed on the server. */
async function heapFill(sql: postgres.Sql, tables: readonly string[]): Promise<HeapFill[] | null> {
  const [available] = await sql<{ n: number }[]>`select count(*)::int as n from pg_available_extensions where name = 'pgstattuple'`;
  if (available!.n === 0) return null;
  await sql`create extension if not exists pgstattuple`;
  const fills: HeapFill[] = [];
  for (const table of tables) {
    const [s] = await sql<{ table_len: string; tuple_count: string; tuple_len: string; dead_tuple_len: string; free_space: string }[]>`
      select table_len, tuple_count, tuple_len, dead_tuple_len, free_space from pgstattuple(${table}::regclass)`;
    const rows = Number(s!.tuple_count);
    if (rows === 0) continue;
    fills.push({
      table,
      live_bytes_per_row: Math.round(Number(s!.tuple_len) / rows),
      fill: round(Number(s!.tuple_len) / Number(s!.table_len), 3),
      dead_bytes: Number(s!.dead_tuple_len),
      free_bytes: Number(s!.free_space),
    });
  }
  return fills;
}

/** The markdown section of the storage variant. */
export function renderStorage(s: StorageResult): string[] {
  const per = (bytes: number): string => String(Math.round(bytes / s.per_text_of));
  const lines = [
    `## Storage per text (${s.texts} texts through the API at ${s.rate_per_s}/s, all ok; growth over the last ${s.per_text_of}, sent after a VACUUM of the first)`,
    '',
  ];
  lines.push('| table | rows per text | heap (B/text) | indexes (B/text) | TOAST (B/text) | total (B/text) |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const t of s.tables) {
    lines.push(`| ${t.table} | ${round(t.rows / s.per_text_of, 2)} | ${per(t.heap_bytes)} | ${per(t.index_bytes)} | ${per(t.toast_bytes)} | ${per(t.heap_bytes + t.index_bytes + t.toast_bytes)} |`);
  }
  if (s.heap_fill) {
    lines.push('', 'Heaps at the end (pgstattuple): ' + s.heap_fill.map((f) => `${f.table} ${f.live_bytes_per_row} B a live row, ${Math.round(f.fill * 100)} % full`).join('; ') + '.');
  }
  lines.push('', 'Widest columns (average stored bytes of a row): ' + s.widest_columns.map((c) => `${c.table}.${c.column} ${c.avg_bytes}`).join(', ') + '.');
  const pass = s.bytes_per_text <= STORAGE_TARGET_BYTES_PER_TEXT;
  lines.push(
    '',
    `Target: ≤ ${STORAGE_TARGET_BYTES_PER_TEXT} B per text kept — ${s.bytes_per_text} B in the tables (${s.database_bytes_per_text} B by pg_database_size) — ${pass ? 'PASS' : 'FAIL'}. ` +
      `As first written, before any VACUUM: ${s.as_written_bytes_per_text} B per text.`,
    '',
  );
  return lines;
}

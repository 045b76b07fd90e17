import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upsertTenant } from '@revos/db';
import type { ExportLine } from '@revos/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, sleep, startHarness, TENANT, type Harness } from '../support/harness.js';
import { REPO_ROOT } from '../support/processes.js';
import { CANARY_BODY, complianceWorkflows, containsCanary } from './fixtures.js';

const OTHER_TENANT = 't_other_practice';
let h: Harness;
let exportDir: string;
beforeAll(async () => {
  exportDir = await mkdtemp(join(tmpdir(), 'revos-export-'));
  h = await startHarness({ extraWorkflows: complianceWorkflows(() => h, exportDir) });
  await upsertTenant(h.db.sql, { tenantId: OTHER_TENANT, name: 'Other Practice', config: {} });
});
afterAll(async () => {
  await h?.close();
  if (exportDir) await rm(exportDir, { recursive: true, force: true });
});

async function logEvent(tenantId: string, privacyMode: 'standard' | 'phi_minimized', attributes: Record<string, string> = {}): Promise<string> {
  const envelope = h.envelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'note.added', direction: 'internal', attributes }, privacyMode, tenantId });
  await h.enqueue(envelope);
  expect((await h.waitForRun(envelope.meta.workflow_run_id)).status).toBe('ok');
  return envelope.meta.workflow_run_id;
}

async function exportRun(payload: Record<string, unknown>) {
  const envelope = h.envelope({ workflow: 'WF54_Dataset_Curation', payload });
  await h.enqueue(envelope);
  return h.waitForRun(envelope.meta.workflow_run_id);
}

async function readLines(file: string): Promise<{ text: string; lines: ExportLine[] }> {
  const text = await readFile(file, 'utf8');
  return { text, lines: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ExportLine) };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('WF54_Dataset_Curation', () => {
  const early: string[] = [];
  const late: string[] = [];
  let phi: string;
  let boundary: string;

  beforeAll(async () => {
    early.push(await logEvent(TENANT, 'standard', { callback: '555-765-4321' }), await logEvent(TENANT, 'standard'));
    await logEvent(OTHER_TENANT, 'standard');
    await sleep(20);
    boundary = new Date().toISOString();
    await sleep(20);
    phi = await logEvent(TENANT, 'phi_minimized', { channel: 'sms' });
    late.push(await logEvent(TENANT, 'standard'), phi);
    await logEvent(OTHER_TENANT, 'phi_minimized');
    // A leak past the runtime's redaction: the export must redact it again.
    await h.db.sql`
      update workflow_runs set envelope = jsonb_set(envelope, '{payload,attributes,body}', to_jsonb(${CANARY_BODY}::text))
       where workflow_run_id = ${phi}`;
  });

  it("exports the tenant's finished runs only, redacts phi_minimized ones, keeps standard ones as stored, and hashes the file", async () => {
    const run = await exportRun({ part_size: 2 });
    expect(run.status, JSON.stringify(run.output?.meta_out)).toBe('ok');
    const out = run.output!.result.primary_outputs as { file: string; lines: number; sha256: string };
    expect(out.file.startsWith(join(exportDir, TENANT))).toBe(true);
    const { text, lines } = await readLines(out.file);
    expect(out.lines).toBe(4);
    expect(out.sha256).toBe(sha256(text));
    expect(lines.map((l) => l.workflow_run_id).sort()).toEqual([...early, ...late].sort());
    expect(containsCanary(text)).toBe(false);

    const stored = await h.db.sql<{ workflow_run_id: string; envelope: unknown; output: unknown; inputs_hash: string; outputs_hash: string }[]>`
      select workflow_run_id, run_envelope(workflow_runs) as envelope, run_output(workflow_runs) as output, inputs_hash, outputs_hash from workflow_runs where tenant_id = ${TENANT}`;
    const byId = new Map(stored.map((r) => [r.workflow_run_id, r]));
    for (const line of lines) {
      const row = byId.get(line.workflow_run_id)!;
      expect(line).toMatchObject({ inputs_hash: row.inputs_hash, outputs_hash: row.outputs_hash, root_run_id: line.workflow_run_id, workflow_name: 'WF11_Log_Event', status: 'ok' });
      if (line.workflow_run_id === phi) {
        expect(line).toMatchObject({ privacy_mode: 'phi_minimized', redacted: true });
        expect((line.envelope as { payload: { attributes: { body: string } } }).payload.attributes.body).toMatch(/^\[redacted:free_text:len=\d+:tok_text_/);
      } else {
        expect(line).toMatchObject({ privacy_mode: 'standard', redacted: false });
        expect(line.envelope).toEqual(row.envelope);
        expect(line.output).toEqual(row.output);
      }
    }
    // Each part is a journaled effect: the plan, 2 parts of 2 lines, the final write.
    const effects = await h.db.sql<{ effect_name: string }[]>`
      select effect_name from effects where workflow_run_id = ${run.workflow_run_id} order by effect_name`;
    expect(effects.map((e) => e.effect_name)).toEqual(['export.part.000000', 'export.part.000001', 'export.plan', 'export.write']);
  });

  it('filters by workflow and time', async () => {
    const run = await exportRun({ workflow: 'WF11_Log_Event', since: boundary, out: 'filtered/late.jsonl' });
    expect(run.status, JSON.stringify(run.output?.meta_out)).toBe('ok');
    const out = run.output!.result.primary_outputs as { file: string; lines: number };
    expect(out.file).toBe(join(exportDir, TENANT, 'filtered', 'late.jsonl'));
    const { lines } = await readLines(out.file);
    expect(lines.map((l) => l.workflow_run_id).sort()).toEqual([...late].sort());

    const exports = await exportRun({ workflow: 'WF54_Dataset_Curation' });
    const exported = await readLines((exports.output!.result.primary_outputs as { file: string }).file);
    expect(new Set(exported.lines.map((l) => l.workflow_name))).toEqual(new Set(['WF54_Dataset_Curation']));
    expect(exported.lines.length).toBe(2);
  });

  it('refuses a path outside the export directory and an existing file', async () => {
    const escape = await exportRun({ out: 'a/../../escape.jsonl' });
    expect(escape).toMatchObject({ status: 'failed', failure_code: 'invalid_input' });
    await exportRun({ out: 'once.jsonl' });
    const again = await exportRun({ out: 'once.jsonl', limit: 1 });
    expect(again).toMatchObject({ status: 'failed', failure_code: 'invalid_input' });
  });

  it('`revos export` submits an audited WF54 run, draws a progress bar on stderr and prints the file', async () => {
    const child = spawn(
      process.execPath,
      ['apps/producer/bin/revos.mjs', 'export', '--tenant', TENANT, '--workflow', 'WF11_Log_Event', '--out', 'cli/export.jsonl', '--json'],
      { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: h.database.url, QUEUE_PREFIX: h.prefix, REDIS_URL }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as { workflow_run_id: string; status: string; file: string; lines: number; sha256: string };
    expect(result).toMatchObject({ status: 'ok', file: join(exportDir, TENANT, 'cli', 'export.jsonl'), lines: 4 });
    expect(stderr).toContain(`export run ${result.workflow_run_id} queued`);
    expect(stderr).toMatch(/export \[#{30}\] 4\/4 4 runs/);
    const { text } = await readLines(result.file);
    expect(sha256(text)).toBe(result.sha256);
    expect(containsCanary(text)).toBe(false);
    // The export is itself a run on record: who asked for what, and what came out.
    const [audit] = await h.db.sql<{ workflow_name: string; trigger_source: string; envelope: { payload: unknown }; source: string }[]>`
      select r.workflow_name, r.trigger_source, r.envelope, a.source
        from workflow_runs r join accepted_runs a using (workflow_run_id) where r.workflow_run_id = ${result.workflow_run_id}`;
    expect(audit).toMatchObject({ workflow_name: 'WF54_Dataset_Curation', source: 'cli', envelope: { payload: { workflow: 'WF11_Log_Event', out: 'cli/export.jsonl' } } });
  });
});

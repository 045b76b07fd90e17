/**
 * CRON_SCHEDULES is checked at load: every pattern parsed as BullMQ will, every workflow and
 * payload checked against the catalog; a bad file stops the producer with exit 78 naming the
 * schedule and the field, before it listens.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProducerCatalog, loadCronSchedules } from '@revos/producer';
import { cronPatternProblem } from '@revos/runtime';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'revos-cron-file-'));
const catalog = createProducerCatalog();
const good = { id: 'nightly-note', tenant_id: 't_demo', workflow: 'WF11_Log_Event', pattern: '0 2 * * *', tz: 'America/New_York', payload: { event_type: 'cron.tick', direction: 'internal' } };

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The configuration error loading `content` raises: its name and message. */
function refusal(content: unknown): { name: string; message: string } {
  try {
    loadCronSchedules(file(`s-${Math.random().toString(36).slice(2)}.json`, content), catalog);
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('the file was accepted');
}

describe('cron patterns', () => {
  it('accepts 5 fields, 6 with seconds, ranges, names and @aliases', () => {
    for (const pattern of ['0 8 * * *', '*/15 * * * * *', '0 8 * * MON-FRI', '30 6 1,15 * *', '@daily', '@hourly']) expect(cronPatternProblem(pattern, 'UTC'), pattern).toBeNull();
  });

  it('refuses values out of range, impossible dates, words, and the wrong number of fields', () => {
    expect(cronPatternProblem('61 * * * *', 'UTC')).toMatch(/not a cron pattern.*0-59/);
    expect(cronPatternProblem('0 0 31 2 *', 'UTC')).toMatch(/not a cron pattern/);
    expect(cronPatternProblem('every day', 'UTC')).toMatch(/2 field/);
    expect(cronPatternProblem('0 8 * *', 'UTC')).toMatch(/has 4 field\(s\)/);
    expect(cronPatternProblem('* * * * * * *', 'UTC')).toMatch(/has 7 field\(s\)/);
  });
});

describe('loadCronSchedules', () => {
  it('returns the checked schedules of a good file, and none without a file', () => {
    expect(loadCronSchedules(file('good.json', [good]), catalog)).toEqual([expect.objectContaining({ id: 'nightly-note', pattern: '0 2 * * *' })]);
    expect(loadCronSchedules(undefined, catalog)).toEqual([]);
  });

  it('names the schedule and the field of a bad pattern, as a configuration error', () => {
    const r = refusal([good, { ...good, id: 'morning-recall', pattern: '0 8 * *' }]);
    expect(r.name).toBe('InvalidConfigurationError');
    expect(r.message).toContain('CRON_SCHEDULES');
    expect(r.message).toContain('schedule "morning-recall" (entry 1) pattern: "0 8 * *" has 4 field(s)');
    expect(r.message).not.toContain('nightly-note');
  });

  it('names every bad schedule of a file at once: pattern, time zone, id', () => {
    const r = refusal([{ ...good, id: 'a', pattern: '99 * * * *' }, { ...good, id: 'b', tz: 'Mars/Olympus' }, { ...good, id: 'Bad Id' }]);
    expect(r.message).toMatch(/schedule "a" \(entry 0\) pattern: .*0-59/);
    expect(r.message).toMatch(/schedule "b" \(entry 1\) tz: must be an IANA time zone/);
    expect(r.message).toMatch(/schedule "Bad Id" \(entry 2\) id: lowercase letters/);
  });

  it("refuses an unregistered workflow and a payload that breaks the workflow's schema, naming the field", () => {
    expect(refusal([{ ...good, id: 'ghost', workflow: 'WF98_Not_Registered' }]).message).toContain('schedule "ghost" (entry 0) workflow: WF98_Not_Registered is not registered');
    expect(refusal([{ ...good, id: 'old', version: '0.9.0' }]).message).toContain('schedule "old" (entry 0) workflow: WF11_Log_Event@0.9.0 is not registered');
    const r = refusal([{ ...good, id: 'bad-payload', payload: { event_type: 'cron.tick', direction: 'sideways' } }]);
    expect(r.message).toContain('schedule "bad-payload" (entry 0) payload.direction: invalid_enum');
  });

  it('refuses a file that is not JSON or not a list, and duplicate ids', () => {
    expect(refusal('[{"id": ').message).toContain('cannot read it as JSON');
    expect(refusal({ id: 'x' }).message).toMatch(/file \(entry\)|expected array/i);
    expect(refusal([good, good]).message).toContain('duplicate schedule id nightly-note');
  });
});

describe('a producer with a bad schedule file', () => {
  it('exits 78 naming the schedule, without ever listening', async () => {
    const path = file('bad.json', [{ ...good, id: 'weekday-reminders', pattern: '0 8 * * MON-FRY' }]);
    const child = spawn(process.execPath, ['--conditions=@revos/source', '--import', 'tsx', 'apps/producer/src/main.ts'], {
      cwd: REPO_ROOT,
      // No database or Redis is needed: the file is checked before the producer connects to anything.
      env: { ...process.env, CRON_SCHEDULES: path, PORT: '0', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(78);
    expect(output).toContain('schedule "weekday-reminders" (entry 0) pattern:');
    expect(output).not.toContain('producer listening');
  });
});

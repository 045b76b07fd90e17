/**
 * The open-handle guard (open-handle-guard.ts, a setupFile of vitest.config.ts): a test file that
 * leaves a connection, server or child process open fails and names it; one that closes them passes.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_PG_URL } from './env.js';
import { trackOpenHandles } from './open-handles.js';
import { REPO_ROOT } from './processes.js';

interface FileResult {
  name: string;
  status: string;
  message: string;
}

const dir = mkdtempSync(join(tmpdir(), 'revos-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('open-handle guard', () => {
  it('fails a file that leaves a Redis connection and a server open, naming both, and passes a tidy one', async () => {
    const report = join(dir, 'report.json');
    const args = ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/support/fixtures/vitest.fixtures.config.ts', `--outputFile=${report}`];
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = execFile(process.execPath, args, { cwd: REPO_ROOT }, () => resolve(child.exitCode));
    });
    const results = (JSON.parse(readFileSync(report, 'utf8')) as { testResults: FileResult[] }).testResults;
    const byFile = Object.fromEntries(results.map((r) => [r.name.slice(REPO_ROOT.length), r]));

    expect(exitCode).toBe(1);
    expect(byFile['test/support/fixtures/tidy.fixture.ts']).toMatchObject({ status: 'passed' });
    const leaky = byFile['test/support/fixtures/leaky.fixture.ts']!;
    expect(leaky.status).toBe('failed');
    expect(leaky.message).toContain('left 2 handle(s) open');
    expect(leaky.message).toContain('Redis connection to 127.0.0.1:6379');
    expect(leaky.message).toMatch(/server listening on port \d+, opened at test\/support\/fixtures\/leaky\.fixture\.ts:\d+/);
  });

  it('names an open PostgreSQL connection and child process, and nothing once they are closed', async () => {
    const tracker = trackOpenHandles();
    try {
      const sql = postgres(`${TEST_PG_URL}/postgres`, { max: 1 });
      await sql`select 1`;
      const child = spawn('sleep', ['30']);
      await once(child, 'spawn');

      const open = tracker.open();
      expect(open).toHaveLength(2);
      expect(open).toContainEqual(expect.stringMatching(/^PostgreSQL connection to 127\.0\.0\.1:5432$/));
      expect(open).toContainEqual(expect.stringMatching(new RegExp(`^child process ${child.pid} \\(sleep 30\\), opened at test/support/open-handles\\.guard\\.test\\.ts:\\d+$`)));

      await sql.end();
      child.kill();
      expect(await tracker.leftOpen()).toEqual([]);
    } finally {
      tracker.stop();
    }
  });
});

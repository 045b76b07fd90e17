/**
 * scripts/test-summary.mjs, the last lines CI prints: the counts from vitest's JSON reports and, above them,
 * each failed test by file and title with its error's first line, so a red run's tail says what failed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/test-summary.mjs');
const dir = mkdtempSync(join(tmpdir(), 'revos-summary-'));

function report(name: string, body: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

const red = report('red.json', {
  numPassedTests: 2,
  numFailedTests: 1,
  testResults: [
    {
      name: join(root, 'test/patients/pacer.test.ts'),
      status: 'failed',
      assertionResults: [
        { status: 'passed', fullName: 'keeps the window' },
        { status: 'failed', fullName: 'createSenderPacer spreads the rest', failureMessages: ['\nAssertionError: expected 1001 to be less than 1000\n    at pacer.test.ts:31'] },
      ],
    },
    { name: join(root, 'test/worker/broken.test.ts'), status: 'failed', message: "Error: Cannot find module './gone.js'\nstack", assertionResults: [] },
  ],
});
const green = report('green.json', { numPassedTests: 5, numFailedTests: 0, testResults: [] });

describe('CI test summary', () => {
  it('names each failed test and each file that did not load above the counts; a file that did not load counts as a failure', () => {
    const out = execFileSync('node', [script, '--label', 'node20 (v20.1.0, 10s)', red, '--label', 'node24 (v24.1.0, 9s)', green], { cwd: root, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual([
      'FAILED [node20] test/patients/pacer.test.ts > createSenderPacer spreads the rest: AssertionError: expected 1001 to be less than 1000',
      "FAILED [node20] test/worker/broken.test.ts: Error: Cannot find module './gone.js'",
      'node20 (v20.1.0, 10s): 2 passed, 2 failed',
      'node24 (v24.1.0, 9s): 5 passed, 0 failed',
      '7 passed, 2 failed',
    ]);
  });

  it('a missing report says the tests did not run and exits 1', () => {
    const run = spawnSync('node', [script, join(dir, 'absent.json')], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/no vitest JSON report at .*absent\.json \(the tests did not run\)/);
    expect(run.stdout.trim()).toBe('0 passed, 0 failed');
  });
});

#!/usr/bin/env node
// Prints "N passed, N failed" from vitest's JSON report, so a run that executed no test shows as
// "0 passed, 0 failed" instead of hiding behind an exit code. Exits 1 when the report is missing.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  console.log('0 passed, 0 failed');
  console.error(`test-summary: no vitest JSON report at ${file} (the tests did not run)`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A file that failed to load has no test results of its own: count it as one failure so it is not lost.
const brokenFiles = (report.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

#!/usr/bin/env node
// Prints "N passed, N failed" from vitest's JSON report(s), so a run that executed no test shows as
// "0 passed, 0 failed" instead of hiding behind an exit code. With several reports (CI runs the
// suite on two Node versions) each gets its own labelled line, then the plain combined line last:
//   node scripts/test-summary.mjs [--label L] report.json [[--label L] other.json ...]
// Each failed test is named above the counts (file, title, the first line of its error), so the tail
// of a CI log says what failed without the whole vitest output.
// Exits 1 when a report is missing.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const args = process.argv.slice(2);
const reports = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--label') reports.push({ label: args[++i] ?? '', file: args[++i] ?? 'test-results.json' });
  else reports.push({ label: null, file: args[i] });
}
if (reports.length === 0) reports.push({ label: null, file: 'test-results.json' });

/** Counts of one report, or null when it is missing (the tests did not run). */
function counts(file) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  const passed = report.numPassedTests ?? 0;
  // A file that failed to load has no test results of its own: count it as one failure so it is not lost.
  const brokenFiles = (report.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  const failed = (report.numFailedTests ?? 0) + brokenFiles;
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  return { passed, failed, skipped, failures: failuresOf(report) };
}

/** One line per failed test, or per file that failed to load: where, what, and the error's first line. */
function failuresOf(report) {
  const lines = [];
  for (const file of report.testResults ?? []) {
    const where = relative(process.cwd(), file.name ?? '?');
    const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    if (file.status === 'failed' && failedTests.length === 0) lines.push(`${where}: ${firstLine(file.message)}`);
    for (const t of failedTests) lines.push(`${where} > ${t.fullName ?? t.title}: ${firstLine(t.failureMessages?.[0])}`);
  }
  return lines;
}

function firstLine(text) {
  const line = String(text ?? '').split('\n').find((l) => l.trim() !== '') ?? '(no message)';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

const line = (c) => `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;
const total = { passed: 0, failed: 0, skipped: 0 };
let missing = false;
for (const { label, file } of reports) {
  const c = counts(file);
  if (!c) {
    missing = true;
    console.error(`test-summary: no vitest JSON report at ${file} (the tests did not run)`);
    if (reports.length > 1) console.log(`${label ?? file}: did not run`);
    continue;
  }
  for (const failure of c.failures) console.log(`FAILED ${label ? `[${label.split(' ')[0]}] ` : ''}${failure}`);
  if (reports.length > 1) console.log(`${label ?? file}: ${line(c)}`);
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
}
console.log(line(total));
process.exit(missing ? 1 : 0);

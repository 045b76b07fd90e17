/**
 * The examples a reader copies work on the day they are read: no request in README.md, docs/ or an
 * example's README carries a fixed calendar date, which would be in the past (a slot intake refuses)
 * some day after it was written. Dates are computed (`$(date -u -d '+2 days' …)`, `new Date(Date.now() + …)`).
 * Lines that show an answer or an output (`# →`, `// →`, a `<`/`←` response) may quote a date.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const pages = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs', f)),
  ...readdirSync(join(root, 'examples'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, 'examples', d.name, 'README.md')),
].filter((path) => {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
});

const CALENDAR_DATE = /(?<!\d)(19|20)\d\d-\d\d-\d\d(?!\d)/;
/** An answer or an output quoted in a block, not something the reader sends. */
const SHOWN = /^\s*(#\s*→|\/\/\s*→|←|<|\{"level")/;

/** Lines inside fenced code blocks that send a fixed date: `name:line: text`. */
function fixedDatesIn(text: string, name: string): string[] {
  const found: string[] = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return;
    }
    if (!fenced || SHOWN.test(line)) return;
    // A trailing comment that shows the answer (`… # → 202 {…}`) is not part of the request.
    const sent = line.replace(/\s(#|\/\/)\s*→.*$/, '');
    if (CALENDAR_DATE.test(sent)) found.push(`${name}:${i + 1}: ${line.trim()}`);
  });
  return found;
}

describe('documentation examples', () => {
  it('reads README.md, every docs/ page and each example README', () => {
    expect(pages.map((p) => relative(root, p))).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'examples/custom-workflow/README.md']));
  });

  it('send no fixed calendar date in a code block', () => {
    expect(pages.flatMap((path) => fixedDatesIn(readFileSync(path, 'utf8'), relative(root, path)))).toEqual([]);
  });

  it('the check catches a fixed slot or due date, and lets prose and a shown answer quote a date', () => {
    const page = [
      'On 2026-12-01 we wrote:',
      '```bash',
      `curl -d '{"payload":{"slot_start":"2026-12-01T15:00:00Z"}}'   # → 202 {"accepted_at_utc":"2026-12-06T10:00:00Z"}`,
      'npm run submit -- p_1001 +15551230001 hygiene 2027-01-15',
      '# → 202 {"accepted_at_utc":"2026-12-06T10:00:00Z"}',
      `SLOT=$(date -u -d '+2 days' +%Y-%m-%dT15:00:00Z)`,
      '```',
    ].join('\n');
    expect(fixedDatesIn(page, 'probe.md')).toEqual([
      `probe.md:3: curl -d '{"payload":{"slot_start":"2026-12-01T15:00:00Z"}}'   # → 202 {"accepted_at_utc":"2026-12-06T10:00:00Z"}`,
      'probe.md:4: npm run submit -- p_1001 +15551230001 hygiene 2027-01-15',
    ]);
  });
});

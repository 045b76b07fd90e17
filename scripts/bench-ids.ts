/**
 * Ids per second of one id generator module (a micro-benchmark, not part of any suite):
 *   node --import tsx scripts/bench-ids.ts [path/to/ids.ts] [burst|fresh] [count]
 * Defaults to packages/envelope/src/ids.ts; pass another checkout's file to compare, e.g.
 *   git show main:packages/envelope/src/ids.ts > /tmp/ids-main.ts && node --import tsx scripts/bench-ids.ts /tmp/ids-main.ts
 * `burst` mints back to back, so most ids share a millisecond and only increment the last one;
 * `fresh` moves the clock a millisecond per id, so every id draws new randomness, as a worker's
 * sparse ids do. Prints the best of five rounds (the least disturbed by other work on the machine).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file = 'packages/envelope/src/ids.ts', mode = 'burst', countArg = '1000000'] = process.argv.slice(2);
const count = Number(countArg);
if (mode === 'fresh') {
  let now = Date.now();
  Date.now = () => ++now;
} else if (mode !== 'burst') throw new Error(`mode: burst or fresh, not ${mode}`);
const { newRunId } = (await import(pathToFileURL(resolve(file)).href)) as { newRunId: () => string };

let sink = 0;
const round = () => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) sink += newRunId().length;
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
};
round(); // warm-up: let the JIT settle
const best = Math.max(...Array.from({ length: 5 }, round));
if (sink === 0) throw new Error('no ids minted');
console.log(JSON.stringify({ file, mode, count, ids_per_s: Math.round(best) }));

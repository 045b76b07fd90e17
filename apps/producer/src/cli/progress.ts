import type { Out } from './command.js';

/**
 * A text progress bar on stderr for bulk work: redrawn in place on a terminal, one line per tenth
 * of the work otherwise (CI logs stay short). stdout stays clean for --json.
 */
export function progressBar(err: Out, total: number, label: string, isTty = Boolean(process.stderr.isTTY)) {
  const counts = new Map<string, number>();
  let done = 0;
  let lastStep = -1;
  const render = () => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const tally = [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${tally ? ` ${tally}` : ''}`;
  };
  return {
    /** `n` items finished with this outcome (default one). */
    tick(outcome: string, n = 1) {
      done += n;
      counts.set(outcome, (counts.get(outcome) ?? 0) + n);
      if (isTty) process.stderr.write(`\r${render()}`);
      else {
        const step = Math.floor((done / Math.max(total, 1)) * 10);
        if (step !== lastStep) {
          lastStep = step;
          err(render());
        }
      }
    },
    done() {
      if (isTty) process.stderr.write('\n');
      else if (total === 0) err(render());
    },
  };
}

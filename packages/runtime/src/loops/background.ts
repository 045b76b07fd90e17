import type { Logger } from 'pino';

export interface Loop {
  /** Stops after the pass in progress (if any) finishes. */
  stop(): Promise<void>;
  /** Runs one pass now (tests and operators); waits for a pass in progress first. */
  kick(): Promise<void>;
}

/**
 * Runs `pass` every `intervalMs`, never two at once. A failing pass is logged
 * and tried again next interval: a database blip must not kill the loop.
 */
export function every(name: string, intervalMs: number, pass: () => Promise<unknown>, log: Logger): Loop {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const runPass = () => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await pass();
      } catch (error) {
        log.error({ loop: name, err: error }, 'background pass failed; retrying next interval');
      }
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void runPass().then(schedule), intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    kick: () => runPass(),
  };
}

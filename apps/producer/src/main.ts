// The producer process: `npm run start -w @revos/producer`, or `node dist/main.js` in a container.
import { createLogger } from '@revos/runtime';
import { logDestination } from './log-output.js';
import { loadProducerEnv } from './env.js';
import { startBackgroundLoops } from './background.js';
import { startProducerProcess } from './producer.js';

async function main(): Promise<void> {
  let env;
  try {
    env = loadProducerEnv();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(78); // EX_CONFIG
  }
  const log = createLogger({ level: env.LOG_LEVEL, destination: logDestination(env), base: { pid: process.pid, service: 'producer' } });
  const producer = await startProducerProcess(env, { log, startBackground: startBackgroundLoops });

  let signalled = false;
  const stop = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down');
    producer.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: (error as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
    process.exit(1);
  });
}

void main().catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'producer failed to start', err: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});

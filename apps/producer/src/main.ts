// The producer process: `npm run start -w @revos/producer`, or `node dist/main.js` in a container.
import { createLogger, runMain } from '@revos/runtime';
import { startBackgroundLoops } from './background.js';
import { loadProducerEnv } from './env.js';
import { logDestination } from './log-output.js';
import { startProducerProcess } from './producer.js';

runMain('producer', async () => {
  const env = loadProducerEnv();
  const log = createLogger({ level: env.LOG_LEVEL, destination: logDestination(env), base: { pid: process.pid, service: 'producer' } });
  const producer = await startProducerProcess(env, { log, startBackground: startBackgroundLoops });
  return { log, close: () => producer.close() };
});

// The worker process: `npm run start -w @revos/worker`, or `node dist/main.js` in a container.
import { createLogger, runMain } from '@revos/runtime';
import { loadWorkerEnv } from './env.js';
import { startWorkerProcess } from './fleet.js';
import { logDestination } from './log-output.js';

runMain('worker', async () => {
  const env = loadWorkerEnv();
  const log = createLogger({ level: env.LOG_LEVEL, destination: logDestination(env), base: { pid: process.pid, service: 'worker', worker_id: env.WORKER_ID } });
  const fleet = await startWorkerProcess(env, { log });
  return { log, close: () => fleet.close() };
});

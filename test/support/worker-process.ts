/**
 * A real worker process for crash tests: the production worker (apps/worker)
 * plus the crash tests' workflow (crash-workflows.ts), configured through the same env.ts. Run with
 * `node --conditions=@revos/source --import tsx test/support/worker-process.ts`;
 * it prints `{"ready":true}` once its workers are listening.
 */
import { loadWorkerEnv, startWorkerProcess } from '@revos/worker';
import { effectThenPause } from './crash-workflows.js';

const fleet = await startWorkerProcess(loadWorkerEnv(), { extraWorkflows: (services) => [effectThenPause(services)] });
console.log(JSON.stringify({ ready: true, pid: process.pid }));
process.once('SIGTERM', () => void fleet.close().then(() => process.exit(0)));

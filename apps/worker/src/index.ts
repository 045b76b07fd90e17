export { startWorkerProcess, type WorkerProcess } from './fleet.js';
export { loadWorkerEnv, WorkerEnv } from './env.js';

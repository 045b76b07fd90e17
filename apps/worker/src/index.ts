export { startWorkerProcess, type StartOptions, type WorkerProcess } from './fleet.js';
export { loadWorkerEnv, WorkerEnv } from './env.js';
export { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
export { runWorkerMain, type WorkerMainOptions } from './run-main.js';
export { findDatabaseSettingWarnings, warnDatabaseSettings, type DatabaseSettingWarning } from './database-settings-check.js';

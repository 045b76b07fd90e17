/**
 * The worker's process entry, for this repository's main.ts and for a deployment's own: the same
 * configuration (env.ts), signals and exit codes, with the deployment's workflows added.
 *
 *   // my-worker.ts
 *   import { runWorkerMain } from '@revos/worker';
 *   import { workflows } from './workflows.js';
 *   runWorkerMain({ extraWorkflows: workflows });
 *
 * WORKFLOWS_MODULE adds a module's workflows too (the stock image and `npm start` use that).
 */
import { combineWorkflowFactories, createLogger, loadWorkflowsModule, logDestination, runMain } from '@revos/runtime';
import type { WorkflowServices } from '@revos/workflows';
import { loadWorkerEnv } from './env.js';
import { startWorkerProcess, type StartOptions } from './fleet.js';

export interface WorkerMainOptions {
  /** The deployment's own workflows, served beside the reference ones. */
  extraWorkflows?: StartOptions['extraWorkflows'];
}

/** Starts one worker replica from the environment; SIGTERM/SIGINT drain it; bad configuration exits 78. */
export function runWorkerMain(options: WorkerMainOptions = {}): void {
  runMain('worker', async () => {
    const env = loadWorkerEnv();
    const fromModule = env.WORKFLOWS_MODULE ? await loadWorkflowsModule<WorkflowServices>(env.WORKFLOWS_MODULE) : undefined;
    const log = createLogger({ level: env.LOG_LEVEL, destination: logDestination(env), base: { pid: process.pid, service: 'worker', worker_id: env.WORKER_ID } });
    const fleet = await startWorkerProcess(env, { log, extraWorkflows: combineWorkflowFactories(options.extraWorkflows, fromModule) });
    return { log, close: () => fleet.close() };
  });
}

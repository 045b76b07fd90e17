/**
 * The producer's process entries, for this repository's main.ts and cli.ts and for a deployment's
 * own: the same configuration (env.ts), signals and exit codes, with the deployment's workflows.
 *
 *   // my-producer.ts                                  // my-cli.ts
 *   import { runProducerMain } from '@revos/producer';  import { runCliMain } from '@revos/producer';
 *   runProducerMain({ extraWorkflows: workflows });     runCliMain({ extraWorkflows: workflows });
 *
 * WORKFLOWS_MODULE adds a module's workflows too (the stock image, `npm start` and `npx revos`).
 */
import { combineWorkflowFactories, createLogger, loadWorkflowsModule, logDestination, runMain } from '@revos/runtime';
import type { WorkflowServices } from '@revos/workflows';
import { startBackgroundLoops } from './background.js';
import type { ExtraWorkflows } from './catalog.js';
import { runCli } from './cli/run-cli.js';
import { loadProducerEnv } from './env.js';
import { startProducerProcess } from './producer.js';

export interface ProducerMainOptions {
  /** The deployment's own workflows, accepted beside the reference ones. */
  extraWorkflows?: ExtraWorkflows;
}

/** Starts one producer (API, webhooks, dispatcher, reconciler, cron) from the environment. */
export function runProducerMain(options: ProducerMainOptions = {}): void {
  runMain('producer', async () => {
    const env = loadProducerEnv();
    const fromModule = env.WORKFLOWS_MODULE ? await loadWorkflowsModule<WorkflowServices>(env.WORKFLOWS_MODULE) : undefined;
    const log = createLogger({ level: env.LOG_LEVEL, destination: logDestination(env), base: { pid: process.pid, service: 'producer' } });
    const producer = await startProducerProcess(env, { log, extraWorkflows: combineWorkflowFactories(options.extraWorkflows, fromModule), startBackground: startBackgroundLoops });
    return { log, close: () => producer.close() };
  });
}

/** Runs the `revos` CLI on this process's arguments, with the deployment's workflows; sets the exit code. */
export function runCliMain(options: ProducerMainOptions = {}): void {
  void runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    extraWorkflows: options.extraWorkflows,
  }).then((code) => {
    process.exitCode = code;
  });
}

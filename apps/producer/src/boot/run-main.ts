/**
 * The producer's process entries, for this repository's main.ts and cli.ts and for a deployment's
 * own: the same configuration (platform/env.ts), signals and exit codes, with the deployment's workflows.
 *
 *   // my-producer.ts                                  // my-cli.ts
 *   import { runProducerMain } from '@revos/producer';  import { runCliMain } from '@revos/producer';
 *   runProducerMain({ manifests });                      runCliMain({ manifests });
 *
 * Both take the workflows' manifests only (no handlers, no vendor adapters). WORKFLOWS_MODULE adds
 * a module's manifests too (the stock image, `npm start` and `npx revos`).
 */
import { createLogger, loadManifestsModule, logDestination, runMain, type AnyManifest } from '@revos/runtime';
import { runCli } from '../cli/run-cli.js';
import { loadProducerEnv } from '../platform/env.js';
import { startBackgroundLoops } from './background.js';
import { startProducerProcess } from './producer.js';

export interface ProducerMainOptions {
  /** The manifests of the deployment's own workflows, accepted beside the reference ones. */
  manifests?: readonly AnyManifest[];
}

/** Starts one producer (API, webhooks, dispatcher, reconciler, cron) from the environment. */
export function runProducerMain(options: ProducerMainOptions = {}): void {
  runMain('producer', async () => {
    const env = loadProducerEnv();
    const fromModule = env.WORKFLOWS_MODULE ? await loadManifestsModule(env.WORKFLOWS_MODULE) : [];
    const log = createLogger({ level: env.LOG_LEVEL, destination: logDestination(env), base: { pid: process.pid, service: 'producer' } });
    const producer = await startProducerProcess(env, { log, extraManifests: [...(options.manifests ?? []), ...fromModule], startBackground: startBackgroundLoops });
    return { log, close: () => producer.close() };
  });
}

/** Runs the `revos` CLI on this process's arguments, with the deployment's workflows; sets the exit code. */
export function runCliMain(options: ProducerMainOptions = {}): void {
  void runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    manifests: options.manifests,
  }).then((code) => {
    process.exitCode = code;
  });
}

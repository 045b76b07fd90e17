/**
 * `revos`: the operator CLI. Same configuration (env.ts), same intake and the same explorer
 * queries as the HTTP API, so the CLI and the API cannot disagree. Each command group is a file
 * of this directory; `revos --help` lists them all, `revos <group> --help` one.
 *
 * Exit codes: 0 done, 1 failed (refused envelope, unknown run, unreachable database, ...),
 * 2 usage error (a missing or bad argument, named), 78 bad configuration (like the processes).
 */
import { readFileSync } from 'node:fs';
import { loadManifestsModule, type AnyManifest } from '@revos/runtime';
import { loadProducerEnv, type ProducerEnv } from '../platform/env.js';
import { parse, type Parsed } from './args.js';
import type { CommandGroup, Out } from './command.js';
import { consents } from './consents.js';
import { effects } from './effects.js';
import { email } from './email.js';
import { enqueue } from './enqueue.js';
import { CommandFailed, ConfigRefused, UsageError } from './errors.js';
import { exportCommand } from './export.js';
import { policy } from './policy.js';
import { prune } from './prune.js';
import { runs } from './runs.js';
import { Session } from './session.js';
import { tasks } from './tasks.js';
import { tenants } from './tenants.js';
import { workflows } from './workflows.js';

/** Every command group, in the order `revos --help` lists them. */
const GROUPS: CommandGroup[] = [tenants, enqueue, runs, tasks, policy, consents, effects, exportCommand, prune, workflows, email];

const CONFIGURATION_NOTE = 'configuration comes from the environment: DATABASE_URL, DATABASE_POOLER, REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_MASTER, QUEUE_PREFIX, FAIR_SHARE, WORKFLOWS_MODULE (see apps/producer/src/platform/env.ts)';

/** The usage text of one group, or of all. */
export function usage(group?: CommandGroup): string {
  return `usage:\n${(group ? [group] : GROUPS).map((g) => g.usage).join('\n')}\n${CONFIGURATION_NOTE}`;
}

/** `revos <version>`: the producer app's package version (dist/cli and src/cli are both two levels below it). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `revos ${pkg.version}`;
}

export interface CliIo {
  out: Out;
  err: Out;
  env?: Record<string, string | undefined>;
  /** Manifests of the deployment's own workflows, accepted beside the reference ones. */
  manifests?: readonly AnyManifest[];
}

/** Runs one CLI invocation; returns the exit code (never calls process.exit, so it is testable). */
export async function runCli(
  argv: string[],
  io: CliIo = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) },
): Promise<number> {
  let args: Parsed;
  try {
    args = parse(argv);
  } catch (error) {
    // The usage of the group the bad option was given to, when the first word names one.
    const named = GROUPS.find((g) => g.name === argv[0]);
    io.err(`revos${named ? ` ${named.name}` : ''}: ${(error as Error).message}\n${usage(named)}`);
    return 2;
  }
  const name = args.positionals[0];
  const group = GROUPS.find((g) => g.name === name);
  if (args.version) {
    io.out(version());
    return 0;
  }
  if (args.help) {
    // `revos <group> --help` shows that group's lines; anything else the whole text.
    io.out(usage(group));
    return 0;
  }
  if (!group) {
    io.err(`revos: ${name === undefined ? 'missing command' : `unknown command ${JSON.stringify(name)}`}\n${usage()}`);
    return 2;
  }
  let env: ProducerEnv;
  try {
    env = io.env ? loadProducerEnv(io.env) : loadProducerEnv();
  } catch (error) {
    io.err(`revos: ${(error as Error).message}`);
    return 78;
  }
  // A deployment's own workflows: its CLI entry's (runCliMain) and WORKFLOWS_MODULE's, so the CLI
  // accepts and shows the same workflows as its producers.
  let manifests = io.manifests ?? [];
  if (env.WORKFLOWS_MODULE) {
    try {
      manifests = [...manifests, ...(await loadManifestsModule(env.WORKFLOWS_MODULE))];
    } catch (error) {
      io.err(`revos: ${(error as Error).message}`);
      return 78;
    }
  }
  const session = new Session(env, manifests);
  try {
    await group.run(args, { session, env, out: io.out, err: io.err });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`revos: ${error.message}`);
      return 2;
    }
    if (error instanceof ConfigRefused) {
      io.err(`revos: ${error.message}`);
      return 78;
    }
    if (error instanceof CommandFailed) {
      if (args.json && error.json !== undefined) io.out(JSON.stringify(error.json));
      io.err(`revos: ${error.message}`);
      return 1;
    }
    io.err(`revos: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await session.close();
  }
}

/** What every command group of the CLI is: its name, its usage lines (its --help) and how it runs. */
import type { ProducerEnv } from '../platform/env.js';
import type { Parsed } from './args.js';
import { UsageError } from './errors.js';
import type { Session } from './session.js';

/** Where the CLI writes a line (stdout or stderr). */
export type Out = (text: string) => void;

export interface CommandContext {
  session: Session;
  env: ProducerEnv;
  /** Results: stdout, clean JSON with --json. */
  out: Out;
  /** Progress and notes: stderr. */
  err: Out;
}

export interface CommandGroup {
  /** The first word: `revos <name> ...`. */
  name: string;
  /** Its lines of the usage text, shown by `revos <name> --help` and, with every group's, by `revos --help`. */
  usage: string;
  run(args: Parsed, ctx: CommandContext): Promise<void>;
}

/** The subcommand in `revos <group> <sub>`, one of `subs`, or a usage error listing them. */
export function subcommand<S extends string>(args: Parsed, group: string, subs: readonly S[]): S {
  const sub = args.positionals[1];
  if (sub !== undefined && (subs as readonly string[]).includes(sub)) return sub as S;
  throw new UsageError(sub === undefined ? `${group}: missing subcommand ${subs.join('|')}` : `${group}: unknown subcommand ${JSON.stringify(sub)} (${subs.join(', ')})`);
}

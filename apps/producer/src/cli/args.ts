/**
 * The CLI's arguments: one parse of argv against every option any command takes, then each command
 * admits only its own (`allowOnly`) and reads its positionals and option values through the helpers
 * here, so every usage error names the argument and its rule the same way.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { TenantId } from '@revos/envelope';
import { parseSince } from '../services/operator.js';
import { CommandFailed, UsageError } from './errors.js';

const STRING_OPTIONS = ['name', 'config', 'tenant', 'workflow', 'since', 'limit', 'until', 'out', 'operator', 'reason', 'ruleset', 'flags', 'expect', 'subject', 'address', 'channel', 'status', 'source', 'evidence', 'resolution', 'note', 'label'] as const;
type StringOption = (typeof STRING_OPTIONS)[number];

export type Parsed = { positionals: string[] } & { [K in StringOption]?: string } & {
  force: boolean;
  failed: boolean;
  redactAll: boolean;
  dryRun: boolean;
  newKey: boolean;
  json: boolean;
  help: boolean;
  version: boolean;
};

export function parse(argv: string[]): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...(Object.fromEntries(STRING_OPTIONS.map((o) => [o, { type: 'string' }])) as Record<StringOption, { type: 'string' }>),
        force: { type: 'boolean', default: false },
        failed: { type: 'boolean', default: false },
        'redact-all': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'new-key': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
    const strings: { [K in StringOption]?: string } = {};
    for (const option of STRING_OPTIONS) {
      const value = values[option];
      if (typeof value === 'string') strings[option] = value;
    }
    return {
      positionals,
      ...strings,
      force: values.force === true,
      failed: values.failed === true,
      redactAll: values['redact-all'] === true,
      dryRun: values['dry-run'] === true,
      newKey: values['new-key'] === true,
      json: values.json === true,
      help: values.help === true,
      version: values.version === true,
    };
  } catch (error) {
    // parseArgs names the option ("Unknown option '--x'. To specify a positional ...", "Option '--tenant <value>' argument missing").
    const { code, message } = error as Error & { code?: string };
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(message)?.[1] : undefined;
    throw new UsageError(unknown === undefined ? message : `unknown option ${unknown}`);
  }
}

/** Refuses any option the command does not take (`ruleset`, `flags` and `expect` are policy set's alone, and checked there). */
export function allowOnly(args: Parsed, command: string, allowed: (keyof Parsed)[]): void {
  for (const option of ['name', 'config', 'tenant', 'workflow', 'since', 'limit', 'until', 'out', 'operator', 'reason', 'subject', 'address', 'channel', 'status', 'source', 'evidence', 'resolution', 'note', 'label'] as const) {
    if (args[option] !== undefined && !allowed.includes(option)) throw new UsageError(`${command}: --${option} is not an option of this command`);
  }
  for (const flag of ['force', 'failed'] as const) {
    if (args[flag] && !allowed.includes(flag)) throw new UsageError(`${command}: --${flag} is not an option of this command`);
  }
  if (args.redactAll && !allowed.includes('redactAll')) throw new UsageError(`${command}: --redact-all is not an option of this command`);
  if (args.dryRun && !allowed.includes('dryRun')) throw new UsageError(`${command}: --dry-run is not an option of this command`);
  if (args.newKey && !allowed.includes('newKey')) throw new UsageError(`${command}: --new-key is not an option of this command`);
}

/** The positional at `index`, required; more than `count` positionals is an error too. */
export function positional(args: Parsed, index: number, what: string, command: string, count: number): string {
  const value = args.positionals[index];
  if (value === undefined || value === '') throw new UsageError(`${command}: missing argument ${what}`);
  if (args.positionals.length > count) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args.positionals[count])}`);
  return value;
}

/** No positional past the first `count`. */
export function noMorePositionals(args: Parsed, command: string, count: number): void {
  if (args.positionals.length > count) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args.positionals[count])}`);
}

export function tenantOption(args: Parsed, command: string): string {
  if (args.tenant === undefined || args.tenant === '') throw new UsageError(`${command}: missing option --tenant <tenant_id>`);
  return tenantIdArgument(args.tenant, '--tenant', command);
}

export function tenantIdArgument(value: string, what: string, command: string): string {
  if (!TenantId.safeParse(value).success) throw new UsageError(`${command}: ${what} must look like t_<letters, digits, _ or ->, at most 62 characters`);
  return value;
}

export function limitOption(args: Parsed, command: string, fallback: number, max = 10_000): number {
  if (args.limit === undefined) return fallback;
  const n = Number(args.limit);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${command}: --limit must be an integer from 1 to ${max}`);
  return n;
}

export function sinceOption(args: Parsed, command: string): Date | undefined {
  const since = parseSince(args.since);
  if (since === null) throw new UsageError(`${command}: --since must be a duration (30m, 6h, 2d) or an ISO timestamp`);
  return since;
}

/** The operator a command records: --operator, else the shell's USER, else `fallback`. */
export function operatorName(args: Parsed, user: string | undefined, fallback: string): string {
  return args.operator ?? user ?? fallback;
}

/** A JSON file named on the command line; unreadable or not JSON fails the command naming the file. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CommandFailed(`${what} ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CommandFailed(`${what} ${path}: not valid JSON`);
  }
}

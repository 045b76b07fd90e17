import { z } from 'zod';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/revos';

/**
 * Why a `postgres://` URL is refused, or null when it is good. Several hosts are allowed, as libpq and
 * postgres.js spell them (`postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write`): WHATWG's
 * URL parser refuses a host list, so the list is checked here and the rest of the URL with its first host.
 */
export function postgresUrlProblem(value: string): string | null {
  const match = /^(postgres(?:ql)?):\/\/(?:([^@/?#]*)@)?([^/?#]*)(.*)$/.exec(value);
  if (!match) return 'must be a postgres: or postgresql:// URL';
  const hosts = match[3]!.split(',');
  for (const host of hosts) {
    const hostPort = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
    if (!hostPort) return `host "${host}" must be host or host:port (several separated by commas)`;
    if (hostPort[2] !== undefined && (Number(hostPort[2]) < 1 || Number(hostPort[2]) > 65_535)) return `port of "${host}" must be 1-65535`;
  }
  try {
    new URL(`${match[1]}://${match[2] === undefined ? '' : `${match[2]}@`}${hosts[0]}${match[4]}`);
  } catch {
    return 'must be a postgres: or postgresql:// URL';
  }
  return null;
}

/** A PostgreSQL URL: one host, or several for a failover pair (the client tries them in order). */
export const postgresUrlSetting = z.string().superRefine((value, ctx) => {
  const problem = postgresUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * `DATABASE_POOLER`: what sits between the process and PostgreSQL. `transaction`: a pooler in transaction
 * mode (PgBouncer `pool_mode = transaction`), which hands each transaction any server connection, so the
 * client must not rely on a connection's session: no prepared statements.
 */
export const databasePoolerSetting = z.enum(['none', 'session', 'transaction']).default('none');

/** The settings of whatever opens the durable record: the apps and `npm run db:migrate`. */
export const databaseSettings = {
  /**
   * PostgreSQL, the durable record. Created and migrated at start unless MIGRATE_ON_START=false. Several
   * hosts (`h1:5432,h2:5432`) with `target_session_attrs=read-write`: after a failover the pool reconnects
   * to whichever one is the primary.
   */
  DATABASE_URL: postgresUrlSetting.default(DEFAULT_DATABASE_URL),
  /** `none` (direct), `session` or `transaction`: the pool mode of a connection pooler in front of DATABASE_URL. */
  DATABASE_POOLER: databasePoolerSetting,
};

export const DatabaseSettings = z.object(databaseSettings);
export type DatabaseSettings = z.infer<typeof DatabaseSettings>;

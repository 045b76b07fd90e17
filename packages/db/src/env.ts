/** The migrate CLI's one setting. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/revos';

/** DATABASE_URL: the PostgreSQL database to create (if missing) and migrate. */
export function databaseUrlFromEnv(): string {
  const value = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  try {
    const url = new URL(value);
    if (!/^postgres(ql)?:$/.test(url.protocol)) throw new Error('protocol');
  } catch {
    throw new Error('DATABASE_URL: must be a postgres:// URL naming a database');
  }
  return value;
}

/**
 * The test suite's own settings, read in one place (the lint's rule: only env.ts reads process.env).
 * Tests may still hand `...process.env` to the processes they start.
 */
/** The Redis every test file shares (each under its own key prefix). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The PostgreSQL server the per-file databases are cloned on (no database name). */
export const TEST_PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
/** Set on CI, where the suite runs alone and may remove every stale template. */
export const RUNNING_ON_CI = Boolean(process.env.CI);
/** `SCREENSHOTS=update`: the browser tests write docs/img instead of a temporary directory. */
export const UPDATE_SCREENSHOTS = process.env.SCREENSHOTS === 'update';
/** `FAULT_SEED=n` replays one bad-input run; unset, each run draws a seed (and prints it). */
export const FAULT_SEED: number | undefined = process.env.FAULT_SEED === undefined ? undefined : Number(process.env.FAULT_SEED);

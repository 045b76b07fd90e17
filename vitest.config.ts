import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run the TypeScript sources of the workspace packages directly (the same
// files the `@revos/source` export condition names for tsx and tsc).
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const appsDir = fileURLToPath(new URL('./apps/', import.meta.url));

const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03']);
export function isTypeFetchCutByCrash(error: unknown): boolean {
  const e = error as { code?: unknown; query?: unknown };
  return typeof e.query === 'string' && e.query.includes('from pg_catalog.pg_type a') && CONNECTION_LOST.has(String(e.code));
}

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@revos\/(worker|producer)$/, replacement: `${appsDir}$1/src/index.ts` },
      { find: /^@revos\/workflows\/(manifests|voice)$/, replacement: `${packagesDir}workflows/src/$1/index.ts` },
      { find: /^@revos\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/fault/full/**'],
    globalSetup: ['test/support/global-setup.ts'],
    // A file that leaves a connection, server or child process open fails, naming it.
    setupFiles: ['test/support/open-handle-guard.ts'],
    // Two cores: two test files at a time keeps Redis/PostgreSQL timings honest.
    maxWorkers: 2,
    // postgres.js fetches array types on every new connection without handling that query's failure
    // (connection.js, fetchArrayTypes): a PostgreSQL crash that lands while a pool is connecting
    // rejects it unhandled. fault#9 crashes the server on purpose and counts these itself; any other
    // unhandled error still fails the run.
    onUnhandledError: (error) => (isTypeFetchCutByCrash(error) ? false : undefined),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});

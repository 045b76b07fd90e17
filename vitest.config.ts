import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run the TypeScript sources of the workspace packages directly (the same
// files the `@revos/source` export condition names for tsx and tsc).
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const appsDir = fileURLToPath(new URL('./apps/', import.meta.url));

// The rule of packages/db/src/connection-loss.ts (isTypeFetchCutByConnectionLoss), restated: the config is
// loaded before the workspace sources can be imported, and @revos/db's dist may not be built yet.
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03']);
function isTypeFetchCutByConnectionLoss(error: unknown): boolean {
  const e = error as { code?: unknown; query?: unknown } | null;
  return typeof e?.query === 'string' && e.query.includes('from pg_catalog.pg_type a') && (CONNECTION_LOST.has(String(e.code)) || String(e.code).startsWith('08'));
}

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@revos\/(worker|producer)$/, replacement: `${appsDir}$1/src/index.ts` },
      { find: /^@revos\/workflows\/(manifests|voice|delivery)$/, replacement: `${packagesDir}workflows/src/$1/index.ts` },
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
    // postgres.js's unhandled array-type query cut by a server crash (see connection-loss.ts): the
    // processes log and survive it, fault#9 counts it; any other unhandled error still fails the run.
    onUnhandledError: (error) => (isTypeFetchCutByConnectionLoss(error) ? false : undefined),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});

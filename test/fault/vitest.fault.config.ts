import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

/**
 * The full fault profile (`npm run test:fault`): the long cases in test/fault/full (excluded from
 * `npm test`), plus the fault cases that have one profile only (2: concurrent deliveries,
 * 3: same key with another payload, 4: stale worker), so one command runs all seven.
 * Built by spreading the main config, not mergeConfig: merging would concatenate `exclude`,
 * and the main config excludes exactly these files.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

export default defineConfig({
  ...base,
  root,
  test: {
    ...base.test,
    include: ['test/fault/full/**/*.test.ts', 'test/fault/concurrent-deliveries.test.ts', 'test/fault/stale-worker.test.ts', 'test/worker/exactly-once.test.ts'],
    exclude: ['**/node_modules/**'],
    reporters: ['default'],
  },
});

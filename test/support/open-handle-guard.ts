/**
 * Vitest setup file (vitest.config.ts `setupFiles`): a test file fails when, after its own afterAll
 * hooks, it leaves a connection, server or child process open that it opened. Tracking starts when
 * this file loads, before the test file's own imports run, so module-level connections count too.
 */
import { afterAll } from 'vitest';
import { trackOpenHandles } from './open-handles.js';

const tracker = trackOpenHandles();

// Registered first, so it runs last: vitest runs afterAll hooks in reverse order of registration.
afterAll(async () => {
  const left = await tracker.leftOpen();
  tracker.stop();
  if (left.length > 0) throw new Error(`this test file left ${left.length} handle(s) open:\n  ${left.join('\n  ')}`);
});

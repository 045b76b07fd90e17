import { workerKillsSuite } from './cases/worker-kills.js';

// Short profile (npm test). The full one: test/fault/full/worker-kills.test.ts (npm run test:fault).
workerKillsSuite({ name: 'short', kills: 8, replicas: 3, runsPerSecond: 8, killGapMs: [400, 1_200], drainTimeoutMs: 90_000 });

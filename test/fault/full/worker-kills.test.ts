import { workerKillsSuite } from '../cases/worker-kills.js';

// Full profile (npm run test:fault): 100 kills.
workerKillsSuite({ name: 'full', kills: 100, replicas: 3, runsPerSecond: 8, killGapMs: [400, 1_200], drainTimeoutMs: 180_000 });

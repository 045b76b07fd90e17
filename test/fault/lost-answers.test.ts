import { lostAnswersSuite } from './cases/lost-answers.js';

// Short profile (npm test). The full one (1,000 texts, 200 bookings): test/fault/full/lost-answers.test.ts.
lostAnswersSuite({ name: 'short', texts: 60, bookings: 12, healthyShare: 0.4, drainTimeoutMs: 90_000 });

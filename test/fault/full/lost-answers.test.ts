import { lostAnswersSuite } from '../cases/lost-answers.js';

// Full profile (npm run test:fault).
lostAnswersSuite({ name: 'full', texts: 1_000, bookings: 200, healthyShare: 0.4, drainTimeoutMs: 240_000 });

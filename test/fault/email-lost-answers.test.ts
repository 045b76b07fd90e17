import { emailLostAnswersSuite } from './cases/email-lost-answers.js';

// Short profile (npm test). The full one (500 emails): test/fault/full/email-lost-answers.test.ts.
emailLostAnswersSuite({ name: 'short', emails: 80, healthyShare: 0.4, drainTimeoutMs: 90_000 });

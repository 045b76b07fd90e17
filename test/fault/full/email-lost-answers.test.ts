import { emailLostAnswersSuite } from '../cases/email-lost-answers.js';

// Full profile (npm run test:fault): 500 emails through the misbehaving Postmark stand-in.
emailLostAnswersSuite({ name: 'full', emails: 500, healthyShare: 0.4, drainTimeoutMs: 240_000 });

import { badInputSuite } from '../cases/bad-input.js';

// Full profile (npm run test:fault): 10,000 inputs.
badInputSuite({ name: 'full', apiEnvelopes: 6_000, twilioBodies: 1_500, genericBodies: 1_500, queueEnvelopes: 1_000, goodEvery: 25 });

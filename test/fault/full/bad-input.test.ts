import { badInputSuite } from '../cases/bad-input.js';

// Full profile (npm run test:fault): 10,400 inputs.
badInputSuite({ name: 'full', apiEnvelopes: 6_000, twilioBodies: 1_500, genericBodies: 1_500, bodyShapes: 400, queueEnvelopes: 1_000, goodEvery: 25 });

import { badInputSuite } from './cases/bad-input.js';

// Short profile (npm test): 1,040 inputs. The full one (10,000): test/fault/full/bad-input.test.ts.
badInputSuite({ name: 'short', apiEnvelopes: 600, twilioBodies: 150, genericBodies: 150, bodyShapes: 40, queueEnvelopes: 100, goodEvery: 25 });

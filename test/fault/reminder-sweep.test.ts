import { reminderSweepSuite } from './cases/reminder-sweep.js';

// Short profile (npm test): 1,000 appointments. The full one (10,000): test/fault/full/reminder-sweep.test.ts.
reminderSweepSuite({ name: 'short', appointments: 1_000, timeoutMs: 120_000 });

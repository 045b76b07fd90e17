import { reminderSweepSuite } from '../cases/reminder-sweep.js';

// Full profile (npm run test:fault): 10,000 appointments, 20 pages of 500.
reminderSweepSuite({ name: 'full', appointments: 10_000, timeoutMs: 600_000 });

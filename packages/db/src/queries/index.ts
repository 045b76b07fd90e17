export * from './claimIdempotencyKey.js';
export * from './effectJournal.js';
export * from './recordRunOutcome.js';
export * from './loadTenant.js';
export * from './consents.js';
export * from './alerts.js';
export * from './tasks.js';

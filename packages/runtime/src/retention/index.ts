export * from './policy.js';
export * from './prune.js';

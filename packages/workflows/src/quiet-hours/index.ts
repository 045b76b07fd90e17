export * from './quiet-hours.js';
export * from './text-quiet-hours.js';

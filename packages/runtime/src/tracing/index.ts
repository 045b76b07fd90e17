export * from './tracing.js';
export * from './propagation.js';
export * from './attempt-trace.js';
export * from './intake-trace.js';

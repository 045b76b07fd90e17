export * from './sender-pacer.js';

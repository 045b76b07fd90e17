/**
 * The rows the read queries return, in one place. Columns keep their SQL names (the API and the CLI
 * print them as they are); timestamps read as `::text` are strings. The run's two JSON documents are
 * typed as the contracts they hold, from the schema's `$type` (no cast at the reader). Each type sits
 * beside the queries that return it (queries/<folder>/*-rows.ts); this file exports them all.
 */
export * from './queries/runs/run-rows.js';
export * from './queries/tasks/task-rows.js';
export * from './queries/consents/consent-rows.js';
export * from './queries/outbox/outbox-rows.js';
export * from './queries/effects/effect-rows.js';

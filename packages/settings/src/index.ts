/**
 * @revos/settings: the configuration rules every process shares, as zod fragments. Each app's env.ts
 * spreads `fleetSettings(...)` into its own schema and parses it once with `parseSettings`;
 * packages/db's migrate CLI reads `DatabaseSettings`. Depends on zod only, so every layer can use it.
 */
export * from './parse.js';
export * from './database.js';
export * from './fleet.js';
export * from './production.js';

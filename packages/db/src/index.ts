export * from './schema.js';
export { createDb, type Db, type DbOptions, type Sql, type Schema } from './client.js';
export { ensureDatabase, migrateDatabase, MIGRATIONS_FOLDER } from './migrate.js';
export * from './queries/index.js';

export * from './schema.js';
export { isTypeFetchCutByConnectionLoss } from './connection-loss.js';
export { createDb, type Db, type DbOptions, type Queryable, type Sql, type Schema, type TransactionSql } from './client.js';
export { InvalidTenantIdError, TENANT_ROLE, TENANT_SETTING, withTenant } from './tenant-scope.js';
export { ensureDatabase, migrateDatabase, MIGRATIONS_FOLDER } from './migrate.js';
export { databaseNameOf, withDatabaseName } from './database-url.js';
export * from './queries/index.js';
export * from './rows.js';
export { RUN_OUTPUT, storedOutputDocument, type StoredOutputDocument } from './stored-output.js';

// `npm run db:migrate`: creates and migrates the database named by DATABASE_URL.
import { loadDatabaseSettings } from './env.js';
import { migrateDatabase } from './migrate.js';

async function main(): Promise<void> {
  const url = loadDatabaseSettings().DATABASE_URL;
  await migrateDatabase(url);
  console.log(JSON.stringify({ msg: 'database migrated', database: new URL(url).pathname.slice(1) }));
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ msg: 'migration failed', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});

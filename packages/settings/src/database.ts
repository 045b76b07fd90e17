import { z } from 'zod';
import { urlSetting } from './parse.js';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/revos';

/** The settings of whatever opens the durable record: the apps and `npm run db:migrate`. */
export const databaseSettings = {
  /** PostgreSQL, the durable record. Created and migrated at start unless MIGRATE_ON_START=false. */
  DATABASE_URL: urlSetting(['postgres:', 'postgresql:']).default(DEFAULT_DATABASE_URL),
};

export const DatabaseSettings = z.object(databaseSettings);
export type DatabaseSettings = z.infer<typeof DatabaseSettings>;

/** The migrate CLI's configuration: DATABASE_URL, with the same rule and default as the apps' (@revos/settings). */
import { DatabaseSettings, parseSettings } from '@revos/settings';

/** Parses DATABASE_URL once; a bad value throws naming the variable and the rule. */
export function loadDatabaseSettings(source: Record<string, string | undefined> = process.env): DatabaseSettings {
  return parseSettings(DatabaseSettings, source);
}

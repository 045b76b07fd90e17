import type { Sql } from '../../client.js';
import { startEffects, type StartEffect } from './startEffects.js';

/**
 * Writes the intent (and its time) before the vendor is called. Returns false when the lease is
 * lost (another worker took the key over): the caller must not call the vendor.
 * An entry the vendor answered "no" to (`failed`) may start again; a `started`
 * one may too (the caller decided the vendor dedupes by our token).
 */
export async function startEffect(sql: Sql, e: StartEffect): Promise<boolean> {
  const [started] = await startEffects(sql, [e]);
  return started!;
}

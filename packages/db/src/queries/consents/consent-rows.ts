/** The rows the consent queries return (re-exported by src/rows.ts). */
import type { ConsentStatus } from './consent-status.js';

export interface ConsentRow {
  target: 'subject' | 'address';
  /** The subject id or the E.164 address. */
  id: string;
  channel: string;
  status: ConsentStatus;
  source: string | null;
  evidence_ref: string | null;
  updated_by: string | null;
  updated_at: string;
}

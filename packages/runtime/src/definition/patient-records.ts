/**
 * What a workflow may write about patients and staff work (`ctx.patients`), always for the run's own
 * tenant and tied to the run. The contract a workflow sees; run/patient-records.ts builds it per run.
 */
import type { AppointmentPrompt, ConsentChangeResult } from '@revos/db';
import type { ConsentChannel, ConsentStatus } from '@revos/envelope';

export interface PatientRecords {
  /** The destination address's recorded status for a channel (null: never opted out or in). */
  addressConsent(address: string, channel: ConsentChannel): Promise<ConsentStatus | null>;
  /** Records an address opt-out or opt-in with its event; a status the address already has changes nothing. */
  setAddressConsent(change: { address: string; channel: ConsentChannel; status: ConsentStatus; source: string; evidenceRef?: string }): Promise<ConsentChangeResult>;
  /** Remembers that `address` reaches the run's subject (so inbound texts from it carry that subject). */
  rememberContact(address: string): Promise<void>;
  /** Remembers that this run reminded `address` of `appointmentId`. */
  recordAppointmentPrompt(appointmentId: string, address: string): Promise<void>;
  /** The reminder a reply from `address` (message `messageSid`) answers, if any is open. */
  findAppointmentPrompt(address: string, messageSid: string): Promise<AppointmentPrompt | null>;
  answerAppointmentPrompt(appointmentId: string, answer: 'confirmed' | 'reschedule', messageSid: string): Promise<void>;
  /** Opens a staff task about this run (one per kind, however often the run is retried). */
  openTask(kind: string, reason: string): Promise<{ taskId: string; created: boolean }>;
}

import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

/** Pages a sweep may walk (at `page_size` 500, a million appointments): more is a PMS that never ends its list. */
export const MAX_SWEEP_PAGES = 2_000;

/**
 * A reminder sweep. A cron schedule starts it with `{}`; it reads one page of the practice's schedule
 * and asks for the next page as its own follow-up, carrying `sweep_at` (so every page of one sweep reads
 * the same time range) and the PMS's `page_token`.
 */
export const WF32Payload = z
  .object({
    /** The time the sweep's windows are measured from; absent (a cron firing): when the run was accepted. */
    sweep_at: z.iso.datetime({ offset: true }).optional(),
    /** The PMS's token for this page; absent: the first page. */
    page_token: z.string().min(1).max(500).optional(),
    /** This page's number, from 1 (for the record and the page bound). */
    page: z.number().int().min(1).max(MAX_SWEEP_PAGES).optional(),
    /** Appointments asked for a page (1-500); absent: 100. */
    page_size: z.number().int().min(1).max(500).optional(),
  })
  .strict();
export type WF32Payload = z.infer<typeof WF32Payload>;

export const WF32Manifest = defineManifest({
  name: 'WF32_Appointment_Reminders',
  version: '1.0.0',
  lane: 'batch',
  // Contacts no one itself (not outbound): each reminder is a WF30_Send_SMS run, behind WF30's consent
  // and opt-out gates. The batch channel: no latency budget a person waits on.
  requiresConfig: ['practice_id'],
  payload: WF32Payload,
});

import { defineManifest } from '@revos/runtime';
import { isWorkflowName } from '@revos/envelope';
import { z } from 'zod';

const IsoTime = z.iso.datetime({ offset: true });

export const WF54Payload = z
  .object({
    /** Only runs of this workflow. */
    workflow: z.string().refine(isWorkflowName, 'must be a workflow name (WF##_Short_Description)').optional(),
    /** Runs that ended at or after this time. */
    since: IsoTime.optional(),
    /** Runs that ended before this time; never later than the export run's own timestamp. */
    until: IsoTime.optional(),
    /** At most this many runs, oldest first. */
    limit: z.number().int().min(1).max(1_000_000).default(100_000),
    /**
     * File name relative to the tenant's export directory, ending in `.jsonl`; default
     * `<workflow_run_id>.jsonl`. An existing file is never overwritten.
     */
    out: z
      .string()
      .min(7)
      .max(200)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*\.jsonl$/, 'a relative path of letters, digits, . _ - / ending in .jsonl')
      .optional(),
    /**
     * `by_mode` (default): `phi_minimized` runs are redacted (again: what is stored is already
     * redacted, and a second pass catches a leak), `standard` runs are exported as stored.
     * `all`: every run is redacted, for a dataset that leaves the tenant.
     */
    redact: z.enum(['by_mode', 'all']).default('by_mode'),
    /** Runs per journaled part: the export's progress and resume granularity. */
    part_size: z.number().int().min(1).max(5_000).default(500),
  })
  .strict()
  .refine((p) => !p.since || !p.until || Date.parse(p.since) < Date.parse(p.until), { path: ['until'], message: 'must be after since' });

export const WF54Manifest = defineManifest({
  name: 'WF54_Dataset_Curation',
  version: '1.0.0',
  lane: 'batch',
  channel: 'batch',
  payload: WF54Payload,
});

/**
 * How a run's envelope is kept in `workflow_runs.envelope` (migration 0015): without the meta fields the row's own
 * columns already hold (names, version, run ids, key, trigger, tenant, privacy mode, correlation id), about 400 B of
 * every run. The rest of meta rides along under `meta_rest`. `run_envelope(workflow_runs)`, in SQL, gives the
 * envelope back; every reader selects `RUN_ENVELOPE` (or `run_envelope(<alias>)`).
 *
 * The envelope is slimmed only when every such field equals its column, so the rebuild is the accepted envelope
 * value for value and hashes to the envelope_hash intake recorded; anything else (a document that is not an
 * envelope, a field that differs) is stored whole and returned as it is. A stored document with `meta_rest` and no
 * `meta` is read as slim: intake's strict envelope schema lets no such envelope through.
 */

import type { Envelope, EnvelopeMeta } from '@revos/envelope';

/** A slim envelope as stored: everything but meta, and meta without the fields the row's columns hold. */
export type SlimEnvelopeDocument = Omit<Envelope, 'meta'> & { meta_rest: Partial<EnvelopeMeta> };

/** The select-list item every reader of a run's envelope uses: the envelope, rebuilt from the row. */
export const RUN_ENVELOPE = 'run_envelope(workflow_runs) as envelope';

/** The row's columns that repeat the envelope's meta, as intake writes them. */
export interface EnvelopeColumns {
  workflowName: string;
  workflowVersion: string;
  workflowRunId: string;
  rootRunId: string;
  idempotencyKey: string;
  triggerSource: string;
  triggerId: string;
  tenantId: string;
  privacyMode: string;
  correlationId: string;
}

/** meta field → the column run_envelope() takes it from (the same pairs as migration 0015). */
const META_COLUMNS: readonly (readonly [string, keyof EnvelopeColumns])[] = [
  ['workflow_name', 'workflowName'],
  ['workflow_version', 'workflowVersion'],
  ['workflow_run_id', 'workflowRunId'],
  ['root_run_id', 'rootRunId'],
  ['idempotency_key', 'idempotencyKey'],
  ['trigger_source', 'triggerSource'],
  ['trigger_id', 'triggerId'],
  ['tenant_id', 'tenantId'],
  ['privacy_mode', 'privacyMode'],
  ['correlation_id', 'correlationId'],
];

const REPEATED_FIELDS: ReadonlySet<string> = new Set(META_COLUMNS.map(([field]) => field));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The envelope as stored with a row holding `columns`: slim when its meta repeats them exactly, else as it is. */
export function storedEnvelopeDocument(envelope: unknown, columns: EnvelopeColumns): unknown {
  if (!isObject(envelope) || !isObject(envelope.meta) || 'meta_rest' in envelope) return envelope;
  const meta = envelope.meta;
  if (!META_COLUMNS.every(([field, column]) => meta[field] === columns[column])) return envelope;
  const metaRest = Object.fromEntries(Object.entries(meta).filter(([field]) => !REPEATED_FIELDS.has(field)));
  const { meta: _meta, ...rest } = envelope;
  return { ...rest, meta_rest: metaRest };
}

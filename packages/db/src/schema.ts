/**
 * The durable record of truth. Redis (BullMQ) only moves work; every fact an
 * operator or a retry relies on lives in these tables.
 *
 * Migrations are generated from this file by drizzle-kit (`npm run generate -w
 * @revos/db`) into ../drizzle and committed; never edit a generated migration.
 */
import type { Envelope, OutputContract } from '@revos/envelope';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { SlimEnvelopeDocument } from './stored-envelope.js';
import type { StoredOutputDocument } from './stored-output.js';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A practice (customer). Entitlements decide which workflows it may run. */
export const tenants = pgTable('tenants', {
  tenantId: text('tenant_id').primaryKey(),
  name: text('name').notNull(),
  /** `{ "workflows": ["WF18_Schedule", ...] | "*", "channels": ["sms", "voice"] }` */
  entitlements: jsonb('entitlements').notNull().default(sql`'{"workflows":"*"}'::jsonb`),
  ruleset: jsonb('ruleset').notNull().default(sql`'{}'::jsonb`),
  featureFlags: jsonb('feature_flags').notNull().default(sql`'{}'::jsonb`),
  featureFlagsVersion: text('feature_flags_version'),
  policyVersion: text('policy_version'),
  /** Vendor settings a workflow needs (sender number, PMS practice id). Never secrets. */
  config: jsonb('config').notNull().default(sql`'{}'::jsonb`),
  createdAt: createdAt(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});

/** API keys are stored as sha256 hashes; the plain key is shown once at creation. */
export const apiKeys = pgTable(
  'api_keys',
  {
    keyHash: text('key_hash').primaryKey(),
    /**
     * The key's public name (`key_` and 32 hex digits): what lists show, what revoke takes and what
     * the audit records as `api:<key id>`. Never the key. Drawn by the database, so the migration
     * that added it named every existing key the same way.
     */
    keyId: text('key_id')
      .notNull()
      .default(sql`('key_' || replace(gen_random_uuid()::text, '-', ''))`),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.tenantId),
    label: text('label'),
    createdAt: createdAt(),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId), uniqueIndex('api_keys_key_id_uidx').on(t.keyId)],
);

/** Consent of one subject (patient or lead id) for one outbound channel. */
export const consents = pgTable(
  'consents',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.tenantId),
    subjectId: text('subject_id').notNull(),
    channel: text('channel').notNull(),
    status: text('status', { enum: ['allow', 'deny'] }).notNull(),
    source: text('source'),
    /** Where the consent was given or revoked (a form id, a message sid); never the text itself. */
    evidenceRef: text('evidence_ref'),
    /** Who recorded it: an API key's tenant, a CLI operator, or `patient` for an inbound keyword. */
    updatedBy: text('updated_by'),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.subjectId, t.channel] })],
);

/**
 * Consent of one destination address (an E.164 phone number) for one channel, as carriers require:
 * a STOP from a number denies it for every subject of the tenant at once. No row means the number
 * never opted out (the subject's own consent still has to allow). The number is kept as it is, not
 * as a token: an opt-out must survive a rotation of PHI_TOKEN_KEY.
 */
export const addressConsents = pgTable(
  'address_consents',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.tenantId),
    address: text('address').notNull(),
    channel: text('channel').notNull(),
    status: text('status', { enum: ['allow', 'deny'] }).notNull(),
    source: text('source'),
    evidenceRef: text('evidence_ref'),
    updatedBy: text('updated_by'),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.address, t.channel] })],
);

/**
 * Which subject a phone number belongs to, learnt from consents recorded with both and from texts
 * sent to a patient: an inbound text from a known number carries that subject. Several patients may
 * share a number; the most recently seen is the one an inbound text is attributed to. The number is
 * kept only as its PHI token (`tok_phone_…`): this table is a lookup, it never needs the number back.
 */
export const subjectContacts = pgTable(
  'subject_contacts',
  {
    tenantId: text('tenant_id').notNull(),
    addressRef: text('address_ref').notNull(),
    subjectKind: text('subject_kind', { enum: ['patient_id', 'lead_id'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.addressRef, t.subjectKind, t.subjectId] }),
    index('subject_contacts_address_idx').on(t.tenantId, t.addressRef, t.updatedAt),
  ],
);

/**
 * An appointment reminder sent to a number and not yet answered: a "C" / "YES" / "CONFIRM" reply
 * from that number confirms this appointment at the PMS. The number is kept as its PHI token only.
 */
export const appointmentPrompts = pgTable(
  'appointment_prompts',
  {
    tenantId: text('tenant_id').notNull(),
    appointmentId: text('appointment_id').notNull(),
    addressRef: text('address_ref').notNull(),
    patientId: text('patient_id'),
    workflowRunId: text('workflow_run_id').notNull(),
    sentAt: tstz('sent_at').notNull().defaultNow(),
    answeredAt: tstz('answered_at'),
    answer: text('answer'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.appointmentId] }),
    index('appointment_prompts_address_idx').on(t.tenantId, t.addressRef, t.sentAt),
  ],
);

/**
 * One row per run: lineage, timings, the envelope as stored and the output
 * contract. `status` is `queued` from intake until the worker writes the outcome.
 */
export const workflowRuns = pgTable(
  'workflow_runs',
  {
    workflowRunId: text('workflow_run_id').primaryKey(),
    parentRunId: text('parent_run_id'),
    rootRunId: text('root_run_id').notNull(),
    correlationId: text('correlation_id').notNull(),
    tenantId: text('tenant_id').notNull(),
    workflowName: text('workflow_name').notNull(),
    workflowVersion: text('workflow_version').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    jobId: text('job_id').notNull(),
    lane: text('lane').notNull(),
    triggerSource: text('trigger_source').notNull(),
    triggerId: text('trigger_id').notNull(),
    privacyMode: text('privacy_mode').notNull(),
    status: text('status', { enum: ['queued', 'ok', 'noop', 'blocked', 'retry', 'failed'] }).notNull(),
    failureCode: text('failure_code'),
    failureStage: text('failure_stage'),
    retryCount: integer('retry_count').notNull().default(0),
    latencyMs: integer('latency_ms'),
    latencyBreach: boolean('latency_breach').notNull().default(false),
    inputsHash: text('inputs_hash'),
    outputsHash: text('outputs_hash'),
    /**
     * The envelope as accepted (a phi_minimized run's with PHI tokenized), stored without the meta fields the row
     * repeats when it can be (stored-envelope.ts; read it whole through `run_envelope(workflow_runs)`). Types only:
     * the column is plain jsonb.
     */
    envelope: jsonb('envelope').$type<Envelope | SlimEnvelopeDocument>().notNull(),
    /**
     * The output contract, validated before it is written, stored without the meta_out fields the row repeats
     * (stored-output.ts; read it whole through `run_output(workflow_runs)`); rows written before migration 0014 hold
     * it whole. Null until the run ends.
     */
    output: jsonb('output').$type<StoredOutputDocument | OutputContract>(),
    acceptedAt: tstz('accepted_at').notNull().defaultNow(),
    startedAt: tstz('started_at'),
    endedAt: tstz('ended_at'),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // Ids looked up by equality only are hash-indexed: an entry is a 4-byte hash code instead of the whole
    // id (the 113-B key's btree entry is about 150 B), and NULLs (a root run's parent) take no entry.
    index('workflow_runs_root_hash_idx').using('hash', t.rootRunId),
    index('workflow_runs_parent_hash_idx').using('hash', t.parentRunId),
    index('workflow_runs_tenant_time_idx').on(t.tenantId, t.acceptedAt),
    index('workflow_runs_key_hash_idx').using('hash', t.idempotencyKey),
    // The operator's any-id lookup (findRunByAnyId): without them each search read the whole table.
    index('workflow_runs_correlation_hash_idx').using('hash', t.correlationId),
    index('workflow_runs_trigger_hash_idx').using('hash', t.triggerId),
    index('workflow_runs_status_time_idx').on(t.status, t.acceptedAt),
    // Finished runs of a tenant by end time: the export's keyset pages and the failure-rate alert's window
    // (tenant by tenant) read one index range each, however long the history.
    index('workflow_runs_tenant_ended_idx')
      .on(t.tenantId, t.endedAt)
      .where(sql`${t.endedAt} is not null`),
    index('workflow_runs_breach_idx')
      .on(t.tenantId, t.workflowName, t.endedAt)
      .where(sql`${t.latencyBreach}`),
  ],
);

/**
 * The durable idempotency ledger: one row per key, forever. `fence` grows by
 * one at every claim, and every write a run makes is conditioned on the fence it
 * claimed with, so a worker that lost its lock can no longer write.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    workflowName: text('workflow_name').notNull(),
    payloadHash: text('payload_hash').notNull(),
    workflowRunId: text('workflow_run_id').notNull(),
    state: text('state', { enum: ['in_progress', 'completed', 'failed'] }).notNull(),
    fence: bigint('fence', { mode: 'number' }).notNull().default(1),
    /**
     * Random, drawn at every claim; later writes of the run are conditioned on it with `fence`. A claim
     * commits asynchronously, so a server crash can lose one and the next claim then computes the same
     * fence again: the token is what tells the two leases apart. Null for rows claimed before 0010.
     */
    leaseToken: text('lease_token'),
    lockedBy: text('locked_by'),
    lockExpiresAt: tstz('lock_expires_at'),
    resultStatus: text('result_status'),
    outputsHash: text('outputs_hash'),
    createdAt: createdAt(),
    completedAt: tstz('completed_at'),
  },
  (t) => [index('idempotency_keys_tenant_time_idx').on(t.tenantId, t.createdAt)],
);

/**
 * The effect journal: one row per (key, effect). `started` is written before the
 * vendor is called and `completed` (with the result and its event) after, so a
 * retry can tell "done" (reuse the result) from "may have happened" (`started`: the
 * worker died mid-call; `unknown`: the answer was lost — reset after writing, timeout,
 * 5xx) from "failed" (the vendor did not get it or said no; safe to call again).
 * A `started`/`unknown` entry is settled by asking the vendor (`reconciliations`) or
 * a person (`settlement`), never by calling again blindly.
 */
export const effects = pgTable(
  'effects',
  {
    idempotencyKey: text('idempotency_key').notNull(),
    effectName: text('effect_name').notNull(),
    tenantId: text('tenant_id').notNull(),
    workflowRunId: text('workflow_run_id').notNull(),
    state: text('state', { enum: ['started', 'unknown', 'completed', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(1),
    result: jsonb('result'),
    service: text('service').notNull(),
    endpoint: text('endpoint').notNull(),
    latencyMs: integer('latency_ms'),
    success: boolean('success'),
    failureCode: text('failure_code'),
    eventId: text('event_id'),
    createdAt: createdAt(),
    completedAt: tstz('completed_at'),
    /** When the latest call was about to be made: a vendor lookup searches from here. */
    intentAt: tstz('intent_at'),
    /** Where the effect may have gone, masked (e.g. `+*******0001`), for the question staff are asked. */
    target: text('target'),
    /** Every time the vendor was asked whether it happened: `{ asked_at, question, answer, evidence }`. */
    reconciliations: jsonb('reconciliations').notNull().default(sql`'[]'::jsonb`),
    /** A person's answer to an unknown effect: `{ outcome, actor, note, settled_at, state_before }`. */
    settlement: jsonb('settlement'),
  },
  (t) => [
    primaryKey({ columns: [t.idempotencyKey, t.effectName] }),
    // A Twilio status callback names only the message's sid: find its send without reading the tenant's effects.
    index('effects_twilio_sid_idx')
      .on(t.tenantId, sql`(${t.result}->>'sid')`)
      .where(sql`${t.service} = 'twilio'`),
  ],
);

/** Events: the convention's section 4 log of every side effect and notable step. */
export const events = pgTable(
  'events',
  {
    eventId: text('event_id').primaryKey(),
    /** Null for changes no run made (a consent set through the API or the CLI). */
    workflowRunId: text('workflow_run_id'),
    rootRunId: text('root_run_id'),
    tenantId: text('tenant_id').notNull(),
    subject: jsonb('subject').notNull().default(sql`'{}'::jsonb`),
    eventType: text('event_type').notNull(),
    direction: text('direction', { enum: ['inbound', 'outbound', 'internal'] }).notNull(),
    payloadRef: text('payload_ref').notNull(),
    payload: jsonb('payload'),
    idempotencyKey: text('idempotency_key'),
    effectName: text('effect_name'),
    occurredAt: tstz('occurred_at').notNull().defaultNow(),
  },
  (t) => [
    index('events_run_hash_idx').using('hash', t.workflowRunId),
    index('events_root_hash_idx').using('hash', t.rootRunId),
    index('events_tenant_time_idx').on(t.tenantId, t.occurredAt),
    // At most one event per journaled effect, whatever happens to the worker.
    uniqueIndex('events_effect_uidx')
      .on(t.idempotencyKey, t.effectName)
      .where(sql`${t.effectName} is not null`),
  ],
);

/**
 * Durable intake: every run a producer (API, webhook, cron, dispatcher, replay)
 * accepted, recorded before the 2xx answer and before the enqueue. One row per
 * idempotency key, so the key's first acceptance names the run every duplicate
 * is answered with. The reconciler re-enqueues unsettled rows whose job is gone
 * from Redis: nothing acknowledged is lost.
 */
export const acceptedRuns = pgTable(
  'accepted_runs',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    workflowRunId: text('workflow_run_id').notNull(),
    tenantId: text('tenant_id').notNull(),
    workflowName: text('workflow_name').notNull(),
    jobId: text('job_id').notNull(),
    lane: text('lane').notNull(),
    priority: text('priority', { enum: ['high', 'normal', 'low'] }),
    runAfter: tstz('run_after'),
    source: text('source').notNull(),
    /**
     * phi_minimized runs only: the envelope as submitted, sealed (AES-256-GCM, PHI_SEAL_KEY), so the
     * reconciler can re-enqueue a run Redis lost. Cleared when the run settles; the run row keeps the
     * redacted copy for good.
     */
    sealedEnvelope: text('sealed_envelope'),
    /**
     * The W3C traceparent the run's job carries (null with tracing off): a re-enqueue after Redis lost
     * the job (the reconciler, a staff settlement) continues the run's trace from it. Ids only, no PHI.
     */
    traceContext: text('trace_context'),
    /**
     * sha256 of the canonical JSON of the envelope intake enqueued (the full one, also for phi_minimized
     * runs). A worker claims the key only for a job carrying this very envelope under this run id:
     * a job intake never accepted, or a forged one reusing an accepted key, runs nothing. Null for
     * runs accepted before the column existed (checked by key and run id only).
     */
    envelopeHash: text('envelope_hash'),
    acceptedAt: tstz('accepted_at').notNull().defaultNow(),
    settledAt: tstz('settled_at'),
  },
  (t) => [
    uniqueIndex('accepted_runs_run_uidx').on(t.workflowRunId),
    index('accepted_runs_unsettled_idx')
      .on(t.acceptedAt)
      .where(sql`${t.settledAt} is null`),
  ],
);

/** next_actions waiting to be enqueued; written in the run's completion transaction. */
export const outbox = pgTable(
  'outbox',
  {
    outboxId: text('outbox_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    parentRunId: text('parent_run_id').notNull(),
    rootRunId: text('root_run_id').notNull(),
    correlationId: text('correlation_id').notNull(),
    parentIdempotencyKey: text('parent_idempotency_key').notNull(),
    actionIndex: integer('action_index').notNull(),
    workflow: text('workflow').notNull(),
    /** The action's payload; redacted for phi_minimized runs (the sealed copy below is what runs). */
    payload: jsonb('payload').notNull(),
    /** phi_minimized runs only: the payload sealed (AES-256-GCM), cleared once the child is accepted. */
    sealedPayload: text('sealed_payload'),
    priority: text('priority', { enum: ['high', 'normal', 'low'] }).notNull(),
    runAfter: tstz('run_after'),
    /** The child's own trigger id (a sweep's reminder names its appointment); null: derived from the parent's key. */
    triggerId: text('trigger_id'),
    /** The child's subject (ids only); null: the parent's. */
    subject: jsonb('subject'),
    state: text('state', { enum: ['pending', 'dispatched', 'rejected'] })
      .notNull()
      .default('pending'),
    childRunId: text('child_run_id'),
    lastError: text('last_error'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: createdAt(),
    dispatchedAt: tstz('dispatched_at'),
  },
  (t) => [
    uniqueIndex('outbox_parent_action_uidx').on(t.parentIdempotencyKey, t.actionIndex),
    index('outbox_pending_idx')
      .on(t.createdAt)
      .where(sql`${t.state} = 'pending'`),
    index('outbox_parent_run_idx').on(t.parentRunId),
  ],
);

/** Escalations for staff (WF21/WF42): one per failed key, never duplicated. */
export const tasks = pgTable(
  'tasks',
  {
    taskId: text('task_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    workflowRunId: text('workflow_run_id').notNull(),
    rootRunId: text('root_run_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    kind: text('kind').notNull(),
    failureCode: text('failure_code'),
    reason: text('reason').notNull(),
    /** open → claimed (a person has it) → done (with a resolution); reopen puts it back to open. */
    status: text('status', { enum: ['open', 'claimed', 'done'] })
      .notNull()
      .default('open'),
    /** Who claimed it, from the credential: `api:<key id>`, `admin:<user>`, `cli:<operator>`. */
    claimedBy: text('claimed_by'),
    /** The free-text name the caller gave for itself (an API body's `actor`), kept apart from `claimed_by`; shown escaped. */
    claimedByLabel: text('claimed_by_label'),
    claimedAt: tstz('claimed_at'),
    /** resolved | dismissed | sent | not_sent (the last two settle an unknown vendor outcome). */
    resolution: text('resolution'),
    resolutionNote: text('resolution_note'),
    resolvedBy: text('resolved_by'),
    /** As `claimed_by_label`, for the resolve. */
    resolvedByLabel: text('resolved_by_label'),
    createdAt: createdAt(),
    closedAt: tstz('closed_at'),
  },
  (t) => [
    uniqueIndex('tasks_key_kind_uidx').on(t.idempotencyKey, t.kind),
    index('tasks_tenant_status_idx').on(t.tenantId, t.status, t.createdAt),
    index('tasks_run_idx').on(t.workflowRunId),
    // The open tasks of every tenant (the metrics' gauges, at every scrape): a few rows however many were closed.
    index('tasks_open_idx')
      .on(t.kind, t.failureCode)
      .where(sql`${t.status} = 'open'`),
  ],
);

/** Internal alerts (repeated latency breaches, outbox lag, failure rates, PHI found). */
export const alerts = pgTable(
  'alerts',
  {
    alertId: text('alert_id').primaryKey(),
    tenantId: text('tenant_id'),
    kind: text('kind').notNull(),
    workflowName: text('workflow_name'),
    workflowRunId: text('workflow_run_id'),
    /** Dedupes an alert per condition and time window (e.g. `latency:t_1:WF17:2026-11-26T04:10`). */
    dedupeKey: text('dedupe_key').notNull(),
    details: jsonb('details').notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('alerts_dedupe_uidx').on(t.dedupeKey),
    index('alerts_time_idx').on(t.createdAt),
  ],
);

/**
 * The state of a live call, one row per answered turn, keyed by Twilio's CallSid: what the turn
 * understood and what it offered, so the next turn of the same call can act on "yes". Written by
 * WF17 (each turn writes only its own row, so a re-run of a turn rewrites the same facts and never
 * disturbs another turn's). Never holds what the caller said: the transcript is PHI and lives only
 * in the run's envelope, as the privacy mode allows.
 */
export const voiceCallTurns = pgTable(
  'voice_call_turns',
  {
    tenantId: text('tenant_id').notNull(),
    callSid: text('call_sid').notNull(),
    turn: integer('turn').notNull(),
    workflowRunId: text('workflow_run_id').notNull(),
    /** The intent the turn acted on (`book`, `yes`, ...). */
    intent: text('intent').notNull(),
    /** `{ offered_slots: [{start, provider_id}], patient_id, appointment_id, stage }` */
    state: jsonb('state').notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.callSid, t.turn] })],
);

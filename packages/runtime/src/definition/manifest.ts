/**
 * What a workflow is, apart from what it does: its name, version, lane, payload schema and the
 * rules intake and the pipeline apply around its handler. A manifest holds no services, so the
 * producer and the CLI validate, route and describe runs from manifests alone; the worker binds
 * each manifest to its handler and adapters (`defineWorkflow`).
 */
import { isSemver, isWorkflowName } from '@revos/envelope';
import type { z } from 'zod';
import { DEFAULT_LATENCY_BUDGET_MS, LANE_SETTINGS, type Channel, type Lane } from './lanes.js';

export interface OutboundSpec {
  /** `payment`: the patient's authorization to charge a saved payment method. */
  channel: 'sms' | 'voice' | 'email' | 'payment';
  /** Which subject id consent is recorded against. */
  subject: 'patient_id' | 'lead_id';
  /**
   * The payload field holding the destination address (an E.164 number for sms and voice). When
   * declared, Consent_Check also refuses a number that opted out, whoever the subject is.
   */
  address?: string;
}

export interface ManifestOptions<S extends z.ZodType> {
  name: string;
  version: string;
  lane: Lane;
  channel?: Channel;
  /** null: no budget (tracked only). Defaults from the channel. */
  latencyBudgetMs?: number | null;
  /** Outbound workflows pass Consent_Check before their core logic. */
  outbound?: OutboundSpec | false;
  /** Tenant config keys the workflow cannot run without (missing → config_missing). */
  requiresConfig?: string[];
  payload: S;
  /** BullMQ attempts in all (first try included); intake enqueues with it. */
  attempts?: number;
  backoff?: { baseMs: number; maxMs: number };
  timeoutMs?: number;
  /** Escalation workflows do not escalate their own failures (that would loop); they alert instead. */
  isEscalation?: boolean;
  /**
   * A workflow that decides by tenant policy: intake attaches the tenant's ruleset and feature flags
   * as `context.tenant_ruleset_json` / `context.feature_flags` (the snapshot matching the stamped
   * versions), and the output records the versions used as `primary_outputs.policy_used`.
   */
  usesPolicy?: boolean;
  /**
   * The payload names payment instruments: intake refuses an envelope whose payload holds anything
   * shaped like a card number (400 `card_number_forbidden`), before it is stored or logged. Not the
   * default: an inbound patient text that happens to quote a card must not be refused and lost.
   */
  refusesCardData?: boolean;
  /**
   * Payload fields holding a date-time that must still lie ahead when a front door (API, webhooks,
   * CLI, cron, replay) accepts the run: one that has passed is refused with 400, rule `in_the_past`,
   * naming the field. Checked against the clock at intake only: a run that starts after the time has
   * passed (a `run_after_utc`, retries, a backlog) is its handler's to end (WF18 ends `blocked` /
   * `expired`), and the dispatcher's follow-ups are left to the handler as their payloads always were.
   */
  futureTimes?: readonly string[];
}

/** A manifest with every default filled in. */
export interface WorkflowManifest<S extends z.ZodType = z.ZodType> extends Required<Omit<ManifestOptions<S>, 'latencyBudgetMs'>> {
  latencyBudgetMs: number | null;
}

export type AnyManifest = WorkflowManifest<z.ZodType>;

/** Declares a workflow's manifest; throws at load time when its name, version or settings break the convention. */
export function defineManifest<S extends z.ZodType>(options: ManifestOptions<S>): WorkflowManifest<S> {
  if (!isWorkflowName(options.name)) throw new Error(`workflow name ${options.name}: must match WF##_Short_Description`);
  if (!isSemver(options.version)) throw new Error(`workflow ${options.name} version ${options.version}: must be semver`);
  const channel: Channel = options.channel ?? (options.lane === 'realtime' ? 'voice' : options.lane === 'batch' ? 'batch' : 'sms');
  const attempts = options.attempts ?? 5;
  const shape = (options.payload as { shape?: Record<string, unknown> }).shape;
  for (const field of options.futureTimes ?? []) {
    if (shape && !(field in shape)) throw new Error(`workflow ${options.name}: futureTimes names ${field}, which its payload does not have`);
  }
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error(`workflow ${options.name}: attempts must be an integer ≥ 1`);
  return {
    name: options.name,
    version: options.version,
    lane: options.lane,
    channel,
    latencyBudgetMs: options.latencyBudgetMs === undefined ? DEFAULT_LATENCY_BUDGET_MS[channel] : options.latencyBudgetMs,
    outbound: options.outbound ?? false,
    requiresConfig: options.requiresConfig ?? [],
    payload: options.payload,
    attempts,
    backoff: options.backoff ?? { baseMs: 1_000, maxMs: 5 * 60_000 },
    timeoutMs: options.timeoutMs ?? LANE_SETTINGS[options.lane].runTimeoutMs,
    isEscalation: options.isEscalation ?? false,
    usesPolicy: options.usesPolicy ?? false,
    refusesCardData: options.refusesCardData ?? false,
    futureTimes: options.futureTimes ?? [],
  };
}

/** True for a value shaped like a manifest (a WORKFLOWS_MODULE export is checked with it). */
export function isWorkflowManifest(value: unknown): value is AnyManifest {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<AnyManifest>;
  return typeof m.name === 'string' && typeof m.version === 'string' && typeof m.lane === 'string' && typeof m.payload?.safeParse === 'function';
}

/** Orders two versions by semver precedence of MAJOR.MINOR.PATCH (negative: a is older). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).slice(0, 3).map(Number);
  const pb = b.split(/[.+-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

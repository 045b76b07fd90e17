import { toFieldIssues, WorkflowError, type ConsentResult, type Envelope, type NextAction, type Priority, type TaskStatus } from '@revos/envelope';
import type { TenantRecord } from '@revos/db';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { PatientRecords } from './patient-records.js';
import { compareVersions, defineManifest, type AnyManifest, type ManifestOptions, type WorkflowManifest } from './manifest.js';
import { isRetiredVersion, UPGRADE_EFFECT_PREFIX, VERSION_UPGRADED_EVENT, type RetiredVersion } from './retired-version.js';

export type { OutboundSpec } from './manifest.js';

/**
 * What the vendor's own records say about an effect whose answer was lost (see {@link EffectSpec.reconcile}):
 * - `found`: it happened; `resource` is what the effect returns (the vendor's resource, as `fn` would);
 * - `absent`: the vendor lists nothing of it (trusted only once the listing delay has passed);
 * - `undecidable`: the vendor cannot tell (several candidates, no lookup by our token): a person decides.
 * `evidence` is journaled with the answer: ids, counts and codes only, never PHI.
 */
export type ReconcileAnswer<T> =
  | { kind: 'found'; resource: T; evidence?: Record<string, unknown> }
  | { kind: 'absent'; evidence?: Record<string, unknown> }
  | { kind: 'undecidable'; reason: string; evidence?: Record<string, unknown> };

export interface ReconcileIo {
  /** When the uncertain call was about to be made: the vendor is searched from here on. */
  intentAt: Date;
  signal: AbortSignal;
  /** The token the call sent (a vendor that records it can be asked by it). */
  idempotencyToken: string;
}

/** How a side effect is journaled. */
export interface EffectSpec<T = unknown> {
  /** Vendor or system called, e.g. "twilio" (goes to audit.external_calls). */
  service: string;
  /** The vendor's endpoint or operation, e.g. "messages.create". */
  endpoint: string;
  /** The event row's type, e.g. "sms.sent". */
  eventType: string;
  direction?: 'outbound' | 'inbound' | 'internal';
  /**
   * True when the vendor dedupes requests by the idempotency token we send. Only
   * then may a call whose outcome is unknown (the answer was lost, or the worker
   * died mid-call) be sent again unasked; otherwise it is reconciled or escalated.
   * A vendor that forgets tokens (Stripe, after 24 h) is false once it may have forgotten ours.
   */
  vendorDedupes?: boolean;
  /** What the event row keeps as payload (never raw PHI in phi_minimized mode). Defaults to the effect's result. */
  eventPayload?: (result: T) => unknown;
  /**
   * Asks the vendor whether a call whose outcome is `unknown` happened (a lost answer, or an intent
   * left by a killed worker). Without it such an effect goes to a person at once. Found: the effect
   * completes with the vendor's resource and nothing is sent again; absent after the listing delay:
   * exactly one new call; undecidable: the run fails `effect_outcome_unknown` with a question for staff.
   */
  reconcile?: (io: ReconcileIo) => Promise<ReconcileAnswer<T>>;
  /**
   * How long after a call the vendor's lookup can be trusted to list it (Twilio's lists lag creation).
   * An absence seen sooner is not proof. Defaults to the worker's `RECONCILE_LISTING_DELAY_MS`.
   */
  listingDelayMs?: number;
  /** Where the effect goes (a phone number): shown masked (`+*******0001`) in staff's question; never stored raw. */
  target?: string;
  /**
   * Asked only when this attempt is about to call the vendor (never when an earlier attempt's result
   * is reused), before the intent is written: may throw a `RunDeferral` (quiet hours, the sender's
   * rate) or a WorkflowError (`expired`), and nothing is journaled for the effect.
   */
  admit?: () => Promise<void>;
}

export interface EffectIo {
  signal: AbortSignal;
  /** Stable per (idempotency key, effect): send it to vendors that dedupe. */
  idempotencyToken: string;
}

export interface RunContext<P> {
  envelope: Envelope;
  payload: P;
  tenant: TenantRecord;
  /** Earlier failed attempts of this run (BullMQ's attemptsMade). */
  retryCount: number;
  consent: ConsentResult | null;
  signal: AbortSignal;
  log: Logger;
  /** Runs `fn` at most once per (idempotency key, name), journaled with its event; later attempts get the stored result. */
  effect<T>(name: string, spec: EffectSpec<T>, fn: (io: EffectIo) => Promise<T>): Promise<T>;
  /**
   * The tenant policy this run decides under: the versions intake stamped on the envelope and, for
   * workflows that declare `usesPolicy`, the ruleset and flags intake attached with them.
   */
  policy: RunPolicy;
  /** Read-only lookups within the run's tenant. */
  lookup: {
    consent(subjectId: string, channel: string): Promise<'allow' | 'deny' | null>;
    taskStatus(taskId: string): Promise<TaskStatus | null>;
  };
  /** Consent, contact, reminder and staff-task records of the run's tenant, tied to this run. */
  patients: PatientRecords;
  /** Adds an `audit.data_written` entry. */
  recordDataWritten(table: string, recordId: string): void;
}

export interface NextActionInput {
  workflow: string;
  payload: Record<string, unknown>;
  priority?: Priority;
  run_after_utc?: string | null;
  /** The child's trigger id, so its key does not depend on this run (see `NextAction.trigger_id`). */
  trigger_id?: string;
  /** The child's subject instead of this run's. */
  subject?: Envelope['subject'];
}

/** What core logic returns; the runtime builds the standard output around it. */
export interface WorkflowResult {
  summary: string;
  primary_outputs?: Record<string, unknown>;
  next_actions?: NextActionInput[];
  /** Whether the run handled PHI; defaults to true when the envelope names a patient or lead. */
  phi_touched?: boolean;
  disclaimer_used?: boolean;
}

/** See {@link RunContext.policy}. */
export interface RunPolicy {
  policyVersion: string | null;
  featureFlagsVersion: string | null;
  ruleset: Record<string, unknown>;
  featureFlags: Record<string, unknown>;
}

/** A workflow as the worker runs it: its manifest and the handler bound to the process's adapters. */
export interface WorkflowOptions<S extends z.ZodType> extends ManifestOptions<S> {
  run(ctx: RunContext<z.infer<S>>): Promise<WorkflowResult>;
}

export interface WorkflowDefinition<S extends z.ZodType = z.ZodType> extends WorkflowManifest<S> {
  run(ctx: RunContext<z.infer<S>>): Promise<WorkflowResult>;
}

export type AnyWorkflow = WorkflowDefinition<z.ZodType>;

/**
 * Binds a handler to its manifest (`defineWorkflow({ ...manifest, run })`, or the settings inline);
 * throws at load time when the name, version or settings break the convention.
 */
export function defineWorkflow<S extends z.ZodType>(options: WorkflowOptions<S>): WorkflowDefinition<S> {
  return { ...defineManifest(options), run: options.run };
}

/**
 * name → version → workflow. The worker's holds workflows bound to their handlers; the producer's and
 * the CLI's hold manifests only ({@link ManifestCatalog}). Runs name the version they were enqueued for,
 * so a release keeps every version queued runs may still name: whole, or retired (`retiredVersion`),
 * whose runs the newer version it names handles (bound here; a missing one fails at load).
 */
export class WorkflowCatalog<W extends AnyManifest = AnyWorkflow> {
  private readonly byName = new Map<string, Map<string, W>>();

  constructor(workflows: Iterable<W>) {
    for (const wf of workflows) {
      const versions = this.byName.get(wf.name) ?? new Map<string, W>();
      if (versions.has(wf.version)) throw new Error(`workflow ${wf.name}@${wf.version} registered twice`);
      versions.set(wf.version, wf);
      this.byName.set(wf.name, versions);
    }
    for (const [name, versions] of this.byName) {
      for (const [version, wf] of versions) {
        if (!isRetiredVersion(wf)) continue;
        if (!versions.has(wf.upgradeTo)) throw new Error(`workflow ${name}@${version} upgrades to ${wf.upgradeTo}, which is not registered`);
        versions.set(version, bindRetiredVersion(wf, (to) => versions.get(to)) as unknown as W);
      }
    }
  }

  get(name: string, version: string): W | undefined {
    return this.byName.get(name)?.get(version);
  }

  /** The newest registered version (by semver precedence of MAJOR.MINOR.PATCH); never a retired one, which always names a newer. */
  latest(name: string): W | undefined {
    const versions = [...(this.byName.get(name)?.values() ?? [])];
    return versions.sort((a, b) => compareVersions(b.version, a.version))[0];
  }

  /** True when `name` is registered here and `version` is newer than every version of it here: a newer release's run. */
  isAhead(name: string, version: string): boolean {
    const latest = this.latest(name);
    return latest !== undefined && compareVersions(version, latest.version) > 0;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  list(): W[] {
    return [...this.byName.values()].flatMap((v) => [...v.values()]);
  }
}

/** What intake, the API description and the CLI read: manifests, whichever catalog holds them. */
export type ManifestCatalog = WorkflowCatalog<AnyManifest>;

export type { NextAction };

/**
 * A retired version's handler: moves the payload, checks it against the newer version's schema,
 * journals the move as an internal effect (its event says so, once per key), then runs the newer
 * version (itself retired, for a chain of upgrades). `resolve` reads the catalog when the run starts.
 */
function bindRetiredVersion(retired: RetiredVersion, resolve: (version: string) => AnyManifest | undefined): AnyWorkflow {
  const { name, version: from, upgradeTo: to } = retired;
  return {
    ...retired,
    async run(ctx: RunContext<unknown>): Promise<WorkflowResult> {
      const next = resolve(to) as AnyWorkflow | undefined;
      if (!next) throw new WorkflowError('unknown_workflow', `${name}@${from} upgrades to ${to}, which is not registered`);
      const moved: unknown = retired.upgrade(ctx.payload);
      const parsed = next.payload.safeParse(moved);
      if (!parsed.success) {
        const rules = toFieldIssues(parsed.error, moved).map((i) => `${i.path ? `payload.${i.path}` : 'payload'}: ${i.rule}`).join('; ');
        throw new WorkflowError('invalid_input', `${name}@${from} upgraded to ${to} does not fit ${to}'s payload (${rules})`);
      }
      await ctx.effect(
        `${UPGRADE_EFFECT_PREFIX}${from}>${to}`,
        { service: 'revos', endpoint: 'workflow.upgrade', eventType: VERSION_UPGRADED_EVENT, direction: 'internal', vendorDedupes: true },
        () => Promise.resolve({ workflow: name, from_version: from, to_version: to }),
      );
      return next.run({ ...ctx, payload: parsed.data });
    },
  };
}

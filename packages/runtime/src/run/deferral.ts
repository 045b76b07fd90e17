/**
 * A run put off, not failed: core logic throws {@link RunDeferral} when what it would do must wait
 * (quiet hours at the recipient, the sending number's rate). The attempt then ends without spending
 * one of the run's attempts: the ledger claim is released, an event says why and until when, and the
 * job waits in BullMQ's delayed set (visible in Bull Board) until `untilMs`. Nothing was sent, so a
 * later attempt sends once; an effect that throws it is journaled `failed` (callable again).
 */
export class RunDeferral extends Error {
  override readonly name = 'RunDeferral';
  /** Read by the effect journal: nothing reached the vendor, calling again cannot double it. */
  readonly outcome = 'not_sent' as const;

  /** How long the job waits from now: measured on the clock the decision was made by (a test's fixed clock too). */
  readonly delayMs: number;

  constructor(
    /** The lineage event's type, e.g. `deferred_quiet_hours`, `deferred_pacing`. */
    readonly eventType: string,
    /** When the run is due again (epoch ms, on the deciding clock). */
    readonly untilMs: number,
    /** Ids, counts and codes for the event and logs; never PHI. */
    readonly details: Record<string, unknown> = {},
    nowMs: number = Date.now(),
  ) {
    super(`${eventType}: deferred until ${new Date(untilMs).toISOString()}`);
    this.delayMs = Math.max(0, untilMs - nowMs);
  }
}

export function deferRun(eventType: string, untilMs: number, details: Record<string, unknown> = {}, nowMs: number = Date.now()): RunDeferral {
  return new RunDeferral(eventType, untilMs, details, nowMs);
}

export function isRunDeferral(error: unknown): error is RunDeferral {
  return error instanceof RunDeferral;
}

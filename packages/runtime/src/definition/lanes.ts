/**
 * Lanes are queues by latency class. A worker replica serves the lanes it is
 * told to; each lane has its own lock and stalled-job settings, because a
 * voice turn cannot wait 30 s for a crashed worker's job to be noticed, while a
 * batch export must not be declared stalled because it ran for a minute.
 */
export const LANES = ['realtime', 'interactive', 'batch'] as const;
export type Lane = (typeof LANES)[number];

export function isLane(value: string): value is Lane {
  return (LANES as readonly string[]).includes(value);
}

/** The BullMQ queue of a lane (the Redis key prefix is configuration, not part of the name). */
export function queueName(lane: Lane): string {
  return `revos-${lane}`;
}

export interface LaneSettings {
  /** BullMQ job lock; renewed by the worker every half of it while the job runs. */
  lockDurationMs: number;
  /** How often a worker looks for jobs whose lock expired (their worker died). */
  stalledIntervalMs: number;
  /** A job that stalls more often than this is failed by BullMQ; kept high so crashes never lose a run. */
  maxStalledCount: number;
  /** Default hard limit of one attempt; the run is aborted past it. */
  runTimeoutMs: number;
}

export const LANE_SETTINGS: Record<Lane, LaneSettings> = {
  realtime: { lockDurationMs: 5_000, stalledIntervalMs: 5_000, maxStalledCount: 10, runTimeoutMs: 10_000 },
  interactive: { lockDurationMs: 15_000, stalledIntervalMs: 15_000, maxStalledCount: 10, runTimeoutMs: 30_000 },
  batch: { lockDurationMs: 60_000, stalledIntervalMs: 30_000, maxStalledCount: 10, runTimeoutMs: 600_000 },
};

/** The channel a workflow serves; it picks the default latency budget. */
export const CHANNELS = ['voice', 'sms', 'email', 'ui', 'batch'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * Default budgets from the convention's section 6: voice 1.5–2.5 s a turn, SMS
 * 3–8 s, UI 2–5 s; batch has no strict budget (null: tracked, never breached).
 * We take the upper bound: the budget is the line past which we fall back.
 */
export const DEFAULT_LATENCY_BUDGET_MS: Record<Channel, number | null> = {
  voice: 2_500,
  sms: 8_000,
  email: 8_000,
  ui: 5_000,
  batch: null,
};

/** Real-time channels get the WF71 fallback when they breach. */
export const REALTIME_CHANNELS: ReadonlySet<Channel> = new Set(['voice']);

/** BullMQ priorities: 1 is the highest; jobs without a priority run before all prioritised ones. */
export const PRIORITY_TO_BULLMQ: Record<'high' | 'normal' | 'low', number> = { high: 1, normal: 5, low: 10 };

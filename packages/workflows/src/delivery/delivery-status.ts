/**
 * Twilio's delivery statuses for texts and calls, ranked, and the delivery state derived from them.
 * Status callbacks arrive out of order (`sent` after `delivered` is common) and may repeat: the
 * state is the highest-ranked status seen, and a final status (delivered, undelivered, failed, a
 * call's completed, busy, no-answer) is never replaced by another, so a late one changes nothing.
 */

/** What a status callback is about: a text (`MessageSid`) or a call (`CallSid`). */
export type DeliveryChannel = 'sms' | 'voice';

/** No status recorded yet. */
export const NO_DELIVERY_STATE = 'none';

/** Rank of each status Twilio reports. Equal ranks at the top are final: the first one seen stays. */
const RANKS: Record<DeliveryChannel, Readonly<Record<string, number>>> = {
  sms: { accepted: 1, scheduled: 1, queued: 2, sending: 3, sent: 4, delivered: 5, undelivered: 5, failed: 5, canceled: 5, read: 6 },
  voice: { queued: 2, initiated: 3, ringing: 4, 'in-progress': 5, completed: 6, busy: 6, 'no-answer': 6, failed: 6, canceled: 6 },
};

/** Statuses that mean the message or call did not reach the person: the tenant's follow-up applies. */
const NOT_REACHED = new Set(['undelivered', 'failed']);

/** The statuses a channel knows (the metric's label values; anything else is counted as `other`). */
export function knownStatuses(channel: DeliveryChannel): string[] {
  return Object.keys(RANKS[channel]);
}

/** A status's rank; an unknown status (Twilio adds some) ranks 0 and never changes the state. */
export function deliveryRank(channel: DeliveryChannel, status: string): number {
  return RANKS[channel][status] ?? 0;
}

/** Whether the message or call ended without reaching the person (`undelivered`, `failed`). */
export function isNotReached(status: string): boolean {
  return NOT_REACHED.has(status);
}

/**
 * The delivery state after `statuses`, in the order they were recorded: a status replaces the state
 * only when it ranks strictly higher, so repeats, late arrivals and a second final status change nothing.
 */
export function deriveDeliveryState(channel: DeliveryChannel, statuses: readonly string[]): string {
  let state = NO_DELIVERY_STATE;
  for (const status of statuses) if (deliveryRank(channel, status) > deliveryRank(channel, state)) state = status;
  return state;
}

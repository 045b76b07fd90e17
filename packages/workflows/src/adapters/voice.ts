import {
  checkTwilioOptions,
  createTwilioResource,
  findTwilioResources,
  type TwilioCallOptions,
  type TwilioLookupResult,
  type TwilioOptions,
} from './twilio.js';

/** One outbound call; Twilio fetches `twimlUrl` for what to say or do once it connects. */
export interface VoiceCall {
  /** E.164 callee. */
  to: string;
  /** E.164 caller id (one of the practice's numbers). */
  from: string;
  twimlUrl: string;
}

export type VoiceCallOptions = TwilioCallOptions;

/** The vendor's id and status for a created call, and the call's latency. */
export interface VoiceCallResult {
  /** Null when the vendor accepted the call (2xx) but its answer could not be read. */
  sid: string | null;
  /** Vendor status, e.g. `queued`, `ringing`. */
  status: string;
  latencyMs: number;
}

/** Places calls. Throws a `WorkflowError` (see `vendorRequest`) on any failure. */
export interface VoiceProvider {
  createCall(call: VoiceCall, options?: VoiceCallOptions): Promise<VoiceCallResult>;
  /** The calls to `call.to` from `call.from` created since `since` (reconciliation of a lost answer). */
  findCalls(call: VoiceCall, since: Date, options?: { signal?: AbortSignal }): Promise<TwilioLookupResult>;
}

/** A {@link VoiceProvider} over Twilio's Calls API. Throws `config_missing` at once if an option is empty. */
export function createTwilioVoiceProvider(options: TwilioOptions): VoiceProvider {
  checkTwilioOptions(options);
  return {
    createCall(call, callOptions) {
      return createTwilioResource(
        options,
        'Calls',
        'calls.create',
        { To: call.to, From: call.from, Url: call.twimlUrl },
        callOptions,
      );
    },
    findCalls(call, since, findOptions = {}) {
      return findTwilioResources(options, 'Calls', 'calls.list', { to: call.to, from: call.from, since }, findOptions.signal);
    },
  };
}

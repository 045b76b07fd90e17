/**
 * The vendor stand-in as the fault suite needs it: Twilio's Messages route answers after a delay
 * (so a fault can land *during* a call) and, like Twilio with `I-Twilio-Idempotency-Token`,
 * answers a repeated token with the message it already created. The counts below read the
 * recorded requests, so a double send shows up however the runtime behaved.
 */
import { randomBytes } from 'node:crypto';
import { FAULT_BODY_PREFIX } from './fault-workflows.js';
import type { RecordedRequest, VendorStandin } from './vendor-standin.js';

export interface TokenStats {
  /** Requests the fault workflows sent, by idempotency token. */
  requestsPerToken: Map<string, RecordedRequest[]>;
  /** Tokens the stand-in saw more than once (a re-send; fine only for `fault:dedupe`). */
  resent: string[];
  /** Tokens whose requests differ in what they asked for (two different effects under one token). */
  conflicting: string[];
}

export interface FaultVendor {
  /** The message sid the stand-in issued for a token (undefined: never reached it). */
  sidFor(token: string): string | undefined;
  stats(tag?: 'once' | 'dedupe'): TokenStats;
  /** Requests that arrived but had no answer yet (in flight), optionally only those of one Twilio account. */
  inFlight(accountSid?: string): RecordedRequest[];
}

export function tokenOf(request: RecordedRequest): string {
  const raw = request.headers['i-twilio-idempotency-token'] ?? request.headers['idempotency-key'];
  return Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? '');
}

/** Makes the stand-in's SMS route delay each answer by `delayMs` and dedupe by token. */
export function fakeTwilioWithDedupe(vendor: VendorStandin, delayMs: number): FaultVendor {
  const sids = new Map<string, string>();
  const answered = new WeakSet<RecordedRequest>();
  // Each replica generation has its own account sid (to classify kills); a rescuer must still find the
  // message its victim sent, as it would in production where every replica shares one account.
  vendor.listAcrossAccounts(true);
  vendor.setDefault('sms', {
    status: 201,
    delayMs,
    body: (request: RecordedRequest) => {
      answered.add(request);
      const token = tokenOf(request);
      let sid = token ? sids.get(token) : undefined;
      if (!sid) {
        sid = `SM${randomBytes(16).toString('hex')}`;
        if (token) sids.set(token, sid);
      }
      return { sid, status: 'queued' };
    },
  });
  const ours = (tag?: string) => (r: RecordedRequest) =>
    r.route === 'sms' && (r.form?.['Body'] ?? '').startsWith(FAULT_BODY_PREFIX) && (tag === undefined || r.form?.['Body'] === `${FAULT_BODY_PREFIX}${tag}`);
  return {
    sidFor: (token) => sids.get(token),
    stats(tag) {
      const requestsPerToken = new Map<string, RecordedRequest[]>();
      for (const r of vendor.requests.filter(ours(tag))) {
        const token = tokenOf(r);
        requestsPerToken.set(token, [...(requestsPerToken.get(token) ?? []), r]);
      }
      const entries = [...requestsPerToken.entries()];
      return {
        requestsPerToken,
        resent: entries.filter(([, rs]) => rs.length > 1).map(([t]) => t),
        conflicting: entries.filter(([, rs]) => new Set(rs.map((r) => `${r.form?.['To']}|${r.form?.['Body']}`)).size > 1).map(([t]) => t),
      };
    },
    inFlight(accountSid) {
      return vendor.requests.filter((r) => ours()(r) && !answered.has(r) && (accountSid === undefined || r.path.includes(`/Accounts/${accountSid}/`)));
    },
  };
}

/**
 * TwiML, the XML a Twilio voice webhook answers with. Every text and attribute is escaped: a reply
 * is built from our own sentences, but a slot time or a number must never be able to close a tag.
 */
import { FALLBACK_APOLOGY, NO_INPUT, type VoiceReply } from '@revos/workflows/voice';

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>';

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

const say = (text: string) => `<Say>${escapeXml(text)}</Say>`;
const dial = (number: string) => `<Dial>${escapeXml(number)}</Dial>`;
const response = (verbs: string) => `${XML_HEADER}<Response>${verbs}</Response>`;

/** Said instead of a transfer when the tenant has no front desk number: never promise a desk that is not there. */
export const NO_FRONT_DESK = 'Sorry, nobody can take your call right now. Please call us back later. Goodbye.';

/** `lead` then a transfer to the front desk, or, when none is configured, a polite end. */
function toFrontDesk(lead: string, frontDesk: string | null): string {
  return frontDesk ? say(lead) + dial(frontDesk) : `${say(NO_FRONT_DESK)}<Hangup/>`;
}

/**
 * `<Say>` inside a speech `<Gather>` that posts the answer to `action`; if the caller says nothing,
 * Twilio goes on past the Gather and the call is handed to the front desk rather than dropped.
 */
export function gatherTwiml(text: string, action: string, frontDesk: string | null): string {
  return response(
    `<Gather input="speech" action="${escapeXml(action)}" method="POST" speechTimeout="auto" language="en-US">${say(text)}</Gather>` +
      toFrontDesk(NO_INPUT, frontDesk),
  );
}

/** WF17's reply as TwiML. */
export function replyTwiml(reply: VoiceReply, action: string, frontDesk: string | null): string {
  switch (reply.then) {
    case 'gather':
      return gatherTwiml(reply.say, action, frontDesk);
    case 'dial':
      return response(toFrontDesk(reply.say, frontDesk));
    case 'hangup':
      return response(`${say(reply.say)}<Hangup/>`);
  }
}

/** WF71's fallback: a short apology and the front desk, for a turn that missed its deadline or failed. */
export function fallbackTwiml(frontDesk: string | null): string {
  return response(toFrontDesk(FALLBACK_APOLOGY, frontDesk));
}

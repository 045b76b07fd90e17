/**
 * Twilio's delivery error codes in words, for the staff task an undelivered text or a failed call
 * opens. The one place they are written: https://www.twilio.com/docs/api/errors (30xxx: messaging
 * delivery; 21xxx: a refused request; 13xxx/32xxx: calls). Words say what happened and what a person
 * can do; they never hold PHI.
 */
const WORDS: Readonly<Record<string, string>> = {
  '30001': 'the message queue overflowed at Twilio',
  '30002': 'the Twilio account is suspended',
  '30003': 'the handset was unreachable (switched off or out of coverage)',
  '30004': 'the message was blocked (the recipient or their carrier blocks it)',
  '30005': 'the number is unknown to its carrier (it may no longer exist)',
  '30006': 'the number is a landline or its carrier cannot take texts',
  '30007': 'the carrier filtered the message as unwanted',
  '30008': 'the carrier reported an unknown error',
  '30009': 'part of the message went missing on the way',
  '30010': 'the message cost more than the price limit',
  '30011': 'the phone cannot receive picture messages',
  '30017': 'the carrier network was congested',
  '30018': 'the destination carrier requires a registered sender',
  '30019': 'the message was larger than the carrier allows',
  '30022': 'the sending number went over its carrier rate limit',
  '30023': 'the sending number reached its daily cap',
  '30032': 'the toll-free sending number is not verified',
  '30034': 'the sending number is not registered for business texting (10DLC)',
  '21211': 'the number is not a valid phone number',
  '21408': 'texting that country is not enabled for the account',
  '21610': 'the recipient unsubscribed (texted STOP to the practice)',
  '21614': 'the number is not a mobile number',
  '13224': 'the number is not a valid phone number',
  '13227': 'calling that country is not enabled for the account',
  '32009': 'the call could not be connected by the carrier',
};

/**
 * The reason a person reads: `"30003: the handset was unreachable (…)"`, the code alone for a code
 * not listed here, or the status when Twilio gave no code.
 */
export function deliveryFailureReason(status: string, errorCode: string | null): string {
  if (errorCode === null) return `${status}, without an error code from Twilio`;
  const words = WORDS[errorCode];
  return words ? `${errorCode}: ${words}` : `${errorCode}: Twilio error ${errorCode} (see twilio.com/docs/api/errors/${errorCode})`;
}

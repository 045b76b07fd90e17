/** The Twilio forms' shared checks (SMS and voice webhooks), before any field is read. */
import type { FieldIssue } from '@revos/envelope';

/** Twilio sends a few dozen fields; far more is not Twilio (and is refused before it is read further). */
export const MAX_TWILIO_FORM_FIELDS = 200;
/** The fields we read: each must appear once, or which value counts would be anyone's guess. */
const SINGLE_VALUED = ['MessageSid', 'CallSid', 'From', 'To', 'Body'];

export function twilioFormIssues(form: URLSearchParams): FieldIssue[] {
  const names = [...form.keys()];
  if (names.length > MAX_TWILIO_FORM_FIELDS) {
    return [{ path: '', rule: 'max_keys', message: `more than ${MAX_TWILIO_FORM_FIELDS} form fields` }];
  }
  return SINGLE_VALUED.filter((name) => form.getAll(name).length > 1).map((name) => ({
    path: name,
    rule: 'repeated_key',
    message: `${name} appears ${form.getAll(name).length} times; it must appear once`,
  }));
}

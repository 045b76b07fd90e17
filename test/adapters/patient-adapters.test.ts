/**
 * The adapter pieces patients' replies rely on, against the real local stand-in: Twilio's carrier
 * opt-out answer (21610) and the PMS appointment confirmation, with every failure classified and no
 * PHI in any error.
 */
import { WorkflowError } from '@revos/envelope';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpPmsAdapter, createTwilioSmsProvider, TWILIO_UNSUBSCRIBED_RECIPIENT, type PmsAdapter, type SmsProvider } from '@revos/workflows';
import { startVendorStandin, type VendorStandin } from '../support/vendor-standin.js';

const PATIENT_PHONE = '+15557650000';
const MESSAGE = { to: PATIENT_PHONE, from: '+15550001111', body: 'CANARY-7a61 your results' };
let standin: VendorStandin;
let sms: SmsProvider;
let pms: PmsAdapter;

beforeEach(async () => {
  standin = await startVendorStandin();
  sms = createTwilioSmsProvider({ baseUrl: standin.url, accountSid: 'AC_patients', authToken: 'token', timeoutMs: 2_000 });
  pms = createHttpPmsAdapter({ baseUrl: `${standin.url}/pms`, apiKey: 'pms-key', timeoutMs: 2_000 });
});
afterEach(async () => {
  await standin.close();
});

async function failure(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowError);
    return err as WorkflowError;
  }
  throw new Error('expected the call to fail');
}

const printable = (e: WorkflowError) => `${e.message} ${JSON.stringify(e.details)} ${e.stack ?? ''}`;

describe('Twilio SMS: a recipient who unsubscribed', () => {
  it('is consent_denied with recipientOptedOut, not a bad request, and names neither the number nor the text', async () => {
    standin.unsubscribe(PATIENT_PHONE);
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.code).toBe('consent_denied');
    expect(err.details).toMatchObject({ vendorCode: TWILIO_UNSUBSCRIBED_RECIPIENT, recipientOptedOut: true, httpStatus: 400, service: 'twilio' });
    expect(printable(err)).not.toContain('7650000');
    expect(printable(err)).not.toContain('CANARY-7a61');
  });

  it('other 4xx answers stay invalid_input (e.g. 21211, an invalid number)', async () => {
    standin.script('sms', [{ status: 400, body: { code: 21211, message: `The 'To' number ${PATIENT_PHONE} is not a valid phone number.` } }]);
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.code).toBe('invalid_input');
    expect(err.details).toMatchObject({ vendorCode: 21211 });
    expect(err.details?.['recipientOptedOut']).toBeUndefined();
    expect(printable(err)).not.toContain('7650000');
  });

  it('other numbers are still sent to', async () => {
    standin.unsubscribe(PATIENT_PHONE);
    const sent = await sms.sendMessage({ ...MESSAGE, to: '+15557650001' });
    expect(sent.sid).toMatch(/^SM/);
  });
});

describe('PMS: confirm an appointment', () => {
  it('POSTs to /appointments/:id/confirm with the bearer key and the Idempotency-Key, and reads the answer', async () => {
    const result = await pms.confirmAppointment({ appointmentId: 'apt_77 x' }, { idempotencyKey: 'idem-1' });
    expect(result).toMatchObject({ appointmentId: 'apt_77 x', status: 'confirmed' });
    const [request] = standin.requests;
    expect(request).toMatchObject({ route: 'confirm', method: 'POST', path: '/pms/appointments/apt_77%20x/confirm' });
    expect(request?.headers['authorization']).toBe('Bearer pms-key');
    expect(request?.headers['idempotency-key']).toBe('idem-1');
  });

  it.each([
    [{ status: 404, body: { code: 'appointment_not_found' } }, 'invalid_input'],
    [{ status: 409, body: { code: 'appointment_cancelled' } }, 'invalid_input'],
    [{ status: 503, body: { code: 'maintenance' } }, 'vendor_unavailable'],
    [{ status: 429, body: {}, headers: { 'retry-after': '2' } }, 'rate_limited'],
    [{ status: 401, body: {} }, 'config_missing'],
    [{ status: 200, body: { appointment_id: 'apt_1' } }, 'vendor_unavailable'],
    [{ status: 200, body: 'not json' }, 'vendor_unavailable'],
  ] as const)('classifies %j as %s', async (answer, code) => {
    standin.script('confirm', [answer]);
    const err = await failure(pms.confirmAppointment({ appointmentId: 'apt_1' }));
    expect(err.code).toBe(code);
    expect(err.details).toMatchObject({ service: 'pms', endpoint: 'appointments.confirm' });
  });

  it('a dropped connection is network', async () => {
    standin.script('confirm', [{ destroy: true }]);
    expect((await failure(pms.confirmAppointment({ appointmentId: 'apt_1' }))).code).toBe('network');
  });
});

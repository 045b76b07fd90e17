/**
 * Our Twilio adapters against Twilio's own published description of its 2010-04-01 API (a trimmed copy
 * in test/support/fixtures/twilio-oai/), served by Prism:
 * - Prism's mock answers from Twilio's examples and refuses any request that breaks the description,
 *   so a send, a call and the list lookups that pass here send what Twilio documents;
 * - Prism's validating proxy in front of our stand-in checks every scripted answer against the same
 *   description, so the odd pages played here (a message without a sid, an absolute next_page_uri) are
 *   ones Twilio may really send.
 * Error answers are not in Twilio's description; their codes are played by the stand-in directly.
 */
import { fileURLToPath } from 'node:url';
import { WorkflowError } from '@revos/envelope';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTwilioSmsProvider, createTwilioVoiceProvider, VENDOR_USER_AGENT, type TwilioOptions } from '@revos/workflows';
import { startPrism, type PrismServer } from '../support/prism-runner.js';
import { startVendorStandin, type VendorStandin } from '../support/vendor-standin.js';

const DESCRIPTION = fileURLToPath(new URL('../support/fixtures/twilio-oai/twilio_api_v2010.trimmed.json', import.meta.url));
const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
/** The account Twilio's examples are written for. */
const EXAMPLE_ACCOUNT_SID = `AC${'a'.repeat(32)}`;
const MESSAGE = { to: '+15557654321', from: '+15550001111', body: 'Your appointment is tomorrow' };
const SM = (n: number): string => `SM${n.toString(16).padStart(32, '0')}`;

let mock: PrismServer;
let proxy: PrismServer;
let standin: VendorStandin;

function options(baseUrl: string, extra: Partial<TwilioOptions> = {}): TwilioOptions {
  return { baseUrl, accountSid: ACCOUNT_SID, authToken: 'test-auth-token', timeoutMs: 10_000, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowError);
    return err as WorkflowError;
  }
  throw new Error('expected the call to fail');
}

/** A Message resource as Twilio's description shapes it (every field present, most nullable). */
function message(fields: { sid: string | null; body?: string | null; status?: string; createdAt?: Date; errorCode?: number | null }) {
  const created = (fields.createdAt ?? new Date()).toUTCString().replace('GMT', '+0000');
  return {
    account_sid: ACCOUNT_SID,
    api_version: '2010-04-01',
    body: fields.body === undefined ? MESSAGE.body : fields.body,
    date_created: created,
    date_sent: null,
    date_updated: created,
    direction: 'outbound-api',
    error_code: fields.errorCode ?? null,
    error_message: null,
    from: MESSAGE.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    sid: fields.sid,
    status: fields.status ?? 'queued',
    subresource_uris: null,
    to: MESSAGE.to,
    uri: null,
  };
}

const LIST_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;

/** A list page as the description declares it: its URIs are absolute (`format: uri`). */
function page(messages: unknown[], nextPage: number | null) {
  const uri = (n: number): string => `https://api.twilio.com${LIST_PATH}?To=%2B15557654321&From=%2B15550001111&PageSize=50&Page=${n}`;
  return {
    end: messages.length,
    first_page_uri: uri(0),
    next_page_uri: nextPage === null ? null : `${uri(nextPage)}&PageToken=PASM${'0'.repeat(32)}`,
    page: nextPage === null ? 0 : nextPage - 1,
    page_size: 50,
    previous_page_uri: null,
    start: 0,
    uri: uri(0),
    messages,
  };
}

beforeAll(async () => {
  standin = await startVendorStandin();
  [mock, proxy] = await Promise.all([
    // Twilio's own list examples break its `format: uri` (relative page URIs): the mock serves them anyway.
    startPrism({ document: DESCRIPTION, mode: 'mock', errors: false }),
    startPrism({ document: DESCRIPTION, mode: 'proxy', upstream: standin.url, errors: true }),
  ]);
});

afterAll(async () => {
  await Promise.all([mock?.stop(), proxy?.stop()]);
  await standin?.close();
});

beforeEach(() => standin.reset());

describe("Twilio's description, served by Prism's mock", () => {
  it('accepts our Messages create (with StatusCallback and idempotency token) and we read its 201', async () => {
    const sms = createTwilioSmsProvider(options(mock.url, { statusCallbackBaseUrl: 'https://revos.example.com' }));
    const sent = await sms.sendMessage(MESSAGE, { tenantId: 't_practice', idempotencyToken: 'tok-1' });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');
  });

  it('accepts our Calls create and we read its 201', async () => {
    const voice = createTwilioVoiceProvider(options(mock.url, { statusCallbackBaseUrl: 'https://revos.example.com' }));
    const call = await voice.createCall({ to: MESSAGE.to, from: MESSAGE.from, twimlUrl: 'https://revos.example.com/twiml/call' }, { tenantId: 't_practice' });
    expect(call.sid).toMatch(/^CA[0-9a-fA-F]{32}$/);
    expect(typeof call.status).toBe('string');
  });

  it("refuses a next_page_uri of another account's list", async () => {
    const sms = createTwilioSmsProvider(options(mock.url));
    const error = await failure(sms.findMessages({ to: '+18182008801', from: '+12019235161', body: 'testing' }, new Date('2019-05-24T17:44:46Z')));
    expect(error).toMatchObject({ code: 'vendor_unavailable', outcome: 'sent' });
  });

  it('refuses a request that breaks the description (so the passing ones were checked)', async () => {
    const sms = createTwilioSmsProvider({ ...options(mock.url), accountSid: 'not-an-account-sid' });
    const error = await failure(sms.sendMessage(MESSAGE));
    expect(error.code).toBe('invalid_input');
    expect(error.details).toMatchObject({ httpStatus: 422 });
  });

  it("pages Messages the way Twilio's example pages do, reading error_code", async () => {
    // The examples' pages name their own account: a next page of another account's list is refused.
    const sms = createTwilioSmsProvider({ ...options(mock.url), accountSid: EXAMPLE_ACCOUNT_SID });
    const found = await sms.findMessages({ to: '+18182008801', from: '+12019235161', body: 'look mom I have media!' }, new Date('2019-05-24T17:44:46Z'));
    // The mock answers the same example page to every next_page_uri: the lookup follows it to its page limit.
    expect(found.pages).toBe(5);
    expect(found.matches[0]).toEqual({ sid: 'MMc26223853f8c46b4ab7dfaa6abba0a26', status: 'received', dateCreated: 'Fri, 24 May 2019 17:44:46 +0000', errorCode: 30004 });
  });

  it("pages Calls the way Twilio's example pages do", async () => {
    const voice = createTwilioVoiceProvider({ ...options(mock.url), accountSid: EXAMPLE_ACCOUNT_SID });
    const found = await voice.findCalls({ to: '+13051913581', from: '+13051416799', twimlUrl: 'https://revos.example.com/twiml' }, new Date('2019-10-18T17:00:00Z'));
    expect(found.pages).toBeGreaterThanOrEqual(1);
    expect(found.matches.map((m) => m.sid)).toContain('CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
  });
});

describe("answers Twilio's description allows, played through Prism's validating proxy", () => {
  it('a page where one message has a null sid does not fail the lookup; that message still counts', async () => {
    const since = new Date(Date.now() - 60_000);
    standin.script('sms_list', [{ status: 200, body: page([message({ sid: null }), message({ sid: SM(1), body: 'another text' })], null) }]);
    const sms = createTwilioSmsProvider(options(proxy.url));
    const found = await sms.findMessages(MESSAGE, since);
    expect(found).toMatchObject({ examined: 2, pages: 1 });
    expect(found.matches).toEqual([expect.objectContaining({ sid: null, status: 'queued', errorCode: null })]);
  });

  it('follows an absolute next_page_uri on the configured base URL only', async () => {
    const since = new Date(Date.now() - 60_000);
    standin.script('sms_list', [
      { status: 200, body: page([message({ sid: SM(2), body: 'not this one' })], 1) },
      { status: 200, body: page([message({ sid: SM(3) })], null) },
    ]);
    const sms = createTwilioSmsProvider(options(proxy.url));
    const found = await sms.findMessages(MESSAGE, since);
    expect(found.pages).toBe(2);
    expect(found.matches.map((m) => m.sid)).toEqual([SM(3)]);
    const lists = standin.requests.filter((r) => r.route === 'sms_list');
    expect(lists).toHaveLength(2);
    expect(lists[1]!.query).toMatchObject({ Page: '1', PageToken: `PASM${'0'.repeat(32)}` });
  });

  it('an answer the description does not allow is caught by the proxy (so the allowed ones were checked)', async () => {
    standin.script('sms_list', [{ status: 200, body: page([{ ...message({ sid: SM(4) }), sid: 4 }], null) }]);
    const sms = createTwilioSmsProvider(options(proxy.url));
    const error = await failure(sms.findMessages(MESSAGE, new Date(Date.now() - 60_000)));
    expect(error.details).toMatchObject({ httpStatus: 500 });
    expect(standin.countFor('sms_list')).toBe(1);
    // The stand-in answered 200; the 500 is Prism refusing the answer.
    await vi.waitFor(() => expect(proxy.output.join('')).toMatch(/VIOLATIONS: Request\/Response not valid/));
  });
});

describe("Twilio's error codes", () => {
  const send = (code: number, status = 400) => {
    standin.script('sms', [{ status, body: { code, message: `Twilio error ${code}`, more_info: `https://www.twilio.com/docs/errors/${code}`, status } }]);
    return failure(createTwilioSmsProvider(options(standin.url)).sendMessage(MESSAGE));
  };

  it('21408 (region not enabled) is a configuration problem for a person, not invalid input', async () => {
    const error = await send(21408);
    expect(error.code).toBe('config_missing');
    expect(error.details).toMatchObject({ vendorCode: 21408, httpStatus: 400 });
    expect(error.outcome).toBe('not_sent');
  });

  it.each([[20429, 429], [21611, 400], [30001, 400], [63017, 400], [63017, 429]])('%i (HTTP %i) is rate_limited, carrying the vendor code', async (code, status) => {
    const error = await send(code, status);
    expect(error.code).toBe('rate_limited');
    expect(error.details).toMatchObject({ vendorCode: code, httpStatus: status });
    expect(error.outcome).toBe('not_sent');
  });

  it('HTTP 429 without a body is rate_limited with Retry-After; other 400s stay invalid_input', async () => {
    standin.script('sms', [{ status: 429, body: '', headers: { 'retry-after': '3' } }]);
    const limited = await failure(createTwilioSmsProvider(options(standin.url)).sendMessage(MESSAGE));
    expect(limited).toMatchObject({ code: 'rate_limited', retryAfterMs: 3000 });
    const invalid = await send(21211);
    expect(invalid.code).toBe('invalid_input');
  });

  it('every request names us in its User-Agent', async () => {
    await createTwilioSmsProvider(options(standin.url)).sendMessage(MESSAGE);
    expect(standin.requests[0]!.headers['user-agent']).toBe(VENDOR_USER_AGENT);
  });

  it('a list refused with 20429 is rate_limited too', async () => {
    standin.script('sms_list', [{ status: 429, body: { code: 20429, message: 'Too Many Requests', status: 429 } }]);
    const error = await failure(createTwilioSmsProvider(options(standin.url)).findMessages(MESSAGE, new Date()));
    expect(error).toMatchObject({ code: 'rate_limited', details: { vendorCode: 20429 } });
  });
});

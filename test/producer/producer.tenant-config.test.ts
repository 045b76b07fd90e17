/**
 * Tenant config has one schema (@revos/envelope's tenant-config.ts). Written through
 * `revos tenants create --config`, a bad or unknown key exits 78 naming the key and the rule and
 * nothing is written; a key a deployment's own workflow declares in requiresConfig is accepted.
 * A stored config that breaks the schema (written before it, or by hand) fails closed where it is
 * read: privacy_mode reads as phi_minimized (the voice webhook included), bad keys read as unset,
 * and a warning names the keys, never their values.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { createApiKey, upsertTenant } from '@revos/db';
import { runCli, twilioSignature } from '@revos/producer';
import { createLogger, defineManifest, TenantCache } from '@revos/runtime';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REDIS_URL, startHarness, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from './helpers.js';

const TWILIO_TOKEN = 'test-twilio-token';
const CALLER = '+15551230042';
const SPEECH = 'I would like to book a cleaning next week';

let h: Harness;
let p: TestProducer;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  p = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN });
  dir = await mkdtemp(join(tmpdir(), 'revos-tenant-config-'));
});
afterAll(async () => {
  await p?.close();
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `revos tenants create <tenant> --config <file holding config>`, in this process. */
async function createWithConfig(tenant: string, config: unknown, manifests: ReturnType<typeof defineManifest>[] = []): Promise<{ code: number; err: string }> {
  const file = join(dir, `${ulid()}.json`);
  await writeFile(file, JSON.stringify(config));
  const err: string[] = [];
  const code = await runCli(['tenants', 'create', tenant, '--config', file], {
    out: () => {},
    err: (t) => err.push(t),
    env: { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix, MIGRATE_ON_START: 'false' },
    manifests,
  });
  return { code, err: err.join('\n') };
}

const storedConfig = async (tenant: string) => (await h.db.sql<{ config: Record<string, unknown> }[]>`select config from tenants where tenant_id = ${tenant}`)[0]?.config;

describe('revos tenants create --config', () => {
  const refusals: [string, Record<string, unknown> | unknown[], RegExp][] = [
    ['an unknown key (a typo of privacy_mode)', { 'privacy-mode': 'phi_minimized' }, /config\.privacy-mode: unknown field/],
    ['privacy_mode outside its two modes', { privacy_mode: 'phi-minimized' }, /config\.privacy_mode: .*"standard".*"phi_minimized"/],
    ['a sending number that is not E.164', { sms_from: '555-0100' }, /config\.sms_from: must be an E\.164 phone number/],
    ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }, /config\.timezone: must be an IANA time zone/],
    ['a voice budget as a string', { voice_budget_ms: '2500' }, /config\.voice_budget_ms: must be a whole number of milliseconds/],
    ['a confidence above 1', { voice_min_confidence: 5 }, /config\.voice_min_confidence: must be at most 1/],
    ['a follow-up of zero minutes', { escalation_follow_up_minutes: 0 }, /config\.escalation_follow_up_minutes: must be at least 1/],
    ['a TwiML URL that is not http(s)', { fallback_twiml_url: 'ftp://example.invalid/x.xml' }, /config\.fallback_twiml_url: must be an http\(s\):\/\/ URL/],
    ['a dedupe window shorter than retention', { retention_days: 30, dedupe_window_days: 7 }, /config\.dedupe_window_days: must be at least retention_days/],
    ['an array instead of an object', ['sms_from'], /config: must be a JSON object/],
  ];
  for (const [what, config, message] of refusals) {
    it(`refuses ${what} with exit 78 naming the key and rule, writing nothing`, async () => {
      const tenant = `t_cfg_${ulid().toLowerCase()}`;
      const { code, err } = await createWithConfig(tenant, config);
      expect(code).toBe(78);
      expect(err).toMatch(message);
      expect(await storedConfig(tenant)).toBeUndefined();
    });
  }

  it('names every bad key at once, and never echoes a value', async () => {
    const { code, err } = await createWithConfig(`t_cfg_${ulid().toLowerCase()}`, { sms_from: '+1-555-SECRET', staff_alert_phone: 'call me', privacy_mode: 'loose' });
    expect(code).toBe(78);
    for (const key of ['sms_from', 'staff_alert_phone', 'privacy_mode']) expect(err).toContain(`config.${key}:`);
    expect(err).not.toMatch(/SECRET|call me|loose/);
  });

  it('accepts every key the workflows, the runtime and the producer read', async () => {
    const tenant = `t_cfg_${ulid().toLowerCase()}`;
    const config = {
      ...TENANT_CONFIG,
      front_desk_number: '+15550000005',
      voice_min_confidence: 0.6,
      voice_budget_ms: 3_000,
      escalation_follow_up_minutes: 30,
      privacy_mode: 'phi_minimized',
      sms_help_text: '{practice}: reply STOP to unsubscribe.',
      retention_days: 30,
      dedupe_window_days: 60,
    };
    expect(await createWithConfig(tenant, config)).toEqual({ code: 0, err: '' });
    expect(await storedConfig(tenant)).toEqual(config);
  });

  it("accepts a key a deployment's own workflow requires (requiresConfig), as it is", async () => {
    const recall = defineManifest({ name: 'WF98_Recall_List', version: '1.0.0', lane: 'batch', payload: z.object({}), requiresConfig: ['recall_list_id'] });
    const tenant = `t_cfg_${ulid().toLowerCase()}`;
    expect((await createWithConfig(tenant, { recall_list_id: 42 })).code).toBe(78);
    expect(await createWithConfig(tenant, { recall_list_id: 42, sms_from: '+15550000001' }, [recall])).toEqual({ code: 0, err: '' });
    expect(await storedConfig(tenant)).toEqual({ recall_list_id: 42, sms_from: '+15550000001' });
  });
});

describe("the tenant's privacy mode is a floor, not a default", () => {
  it('a phi_minimized tenant\'s API caller that says standard still gets a phi_minimized run (nothing stored raw)', async () => {
    const tenant = `t_cfg_floor_${ulid().toLowerCase()}`;
    await upsertTenant(h.db.sql, { tenantId: tenant, name: 'Strict Practice', config: { ...TENANT_CONFIG, privacy_mode: 'phi_minimized' } });
    const apiKey = await createApiKey(h.db.sql, tenant);
    const note = 'Patient Jane Roe called from +15551239876 about her bill';
    const res = await fetch(`${p.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' },
        subject: {},
        payload: { event_type: 'note.added', direction: 'internal', attributes: { note } },
      }),
    });
    expect(res.status).toBe(202);
    const [run] = await h.db.sql<{ privacy_mode: string; envelope: unknown }[]>`
      select privacy_mode, envelope from workflow_runs where tenant_id = ${tenant}`;
    expect(run?.privacy_mode).toBe('phi_minimized');
    expect(JSON.stringify(run?.envelope)).not.toContain('+15551239876');
    expect(JSON.stringify(run?.envelope)).not.toContain('Jane Roe');
  });

  it('a standard tenant keeps what its caller asked for, phi_minimized included', async () => {
    const tenant = `t_cfg_std_${ulid().toLowerCase()}`;
    await upsertTenant(h.db.sql, { tenantId: tenant, name: 'Plain Practice', config: { ...TENANT_CONFIG, privacy_mode: 'standard' } });
    const apiKey = await createApiKey(h.db.sql, tenant);
    for (const mode of ['standard', 'phi_minimized'] as const) {
      const res = await fetch(`${p.url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({
          meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: `ui:${mode}:${ulid()}`, environment: 'staging', privacy_mode: mode },
          subject: {},
          payload: { event_type: 'note.added', direction: 'internal', attributes: { ref: 'n_1' } },
        }),
      });
      expect(res.status).toBe(202);
      const { workflow_run_id } = (await res.json()) as { workflow_run_id: string };
      const [run] = await h.db.sql<{ privacy_mode: string }[]>`select privacy_mode from workflow_runs where workflow_run_id = ${workflow_run_id}`;
      expect(run?.privacy_mode).toBe(mode);
    }
  });
});

describe('a stored config that breaks the schema fails closed', () => {
  it('the voice webhook reads a mistyped privacy_mode as phi_minimized: the caller\'s words and number are not stored raw', async () => {
    const tenant = `t_cfg_voice_${ulid().toLowerCase()}`;
    // Written straight to the table, as a row from before the schema would be.
    await upsertTenant(h.db.sql, { tenantId: tenant, name: 'Typo Practice', config: { ...TENANT_CONFIG, privacy_mode: 'phi-minimized', voice_budget_ms: 2_000 } });
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    const url = `${p.url}/webhooks/twilio/${tenant}/voice?turn=1`;
    const form = { CallSid: callSid, AccountSid: 'AC_test', From: CALLER, To: '+15550000003', CallStatus: 'in-progress', Direction: 'inbound', SpeechResult: SPEECH, Confidence: '0.9' };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, form) },
      body: new URLSearchParams(form).toString(),
    });
    // No worker runs here: the turn is accepted (stored), misses its 2 s budget, and the caller is sent to the front desk.
    expect(res.status).toBe(200);
    const [run] = await h.db.sql<{ privacy_mode: string; envelope: unknown }[]>`
      select privacy_mode, envelope from workflow_runs where tenant_id = ${tenant}`;
    expect(run?.privacy_mode).toBe('phi_minimized');
    expect(JSON.stringify(run?.envelope)).not.toContain(SPEECH);
    expect(JSON.stringify(run?.envelope)).not.toContain(CALLER);
    const warning = p.logText.join('').split('\n').find((l) => l.includes('tenant privacy_mode is invalid') && l.includes(tenant));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', field: 'config.privacy_mode' });
    expect(warning).not.toContain('phi-minimized');
  });

  it("the runtime's tenant reads bad keys as unset and privacy_mode as phi_minimized, warning once with the keys' names only", async () => {
    const tenant = `t_cfg_stored_${ulid().toLowerCase()}`;
    await upsertTenant(h.db.sql, { tenantId: tenant, name: 'Old Row', config: { sms_from: '555 0100', privacy_mode: 'phi', timezone: 'America/Chicago', legacy_key: 'kept' } });
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString('utf8')), done()) }) });
    const cache = new TenantCache(h.db.sql, 0, log);
    const first = await cache.get(tenant);
    await cache.get(tenant);
    // sms_from is gone, so WF30 ends config_missing instead of texting from a malformed number.
    expect(first?.config).toEqual({ privacy_mode: 'phi_minimized', timezone: 'America/Chicago', legacy_key: 'kept' });
    const warnings = lines.filter((l) => l.includes('tenant config has invalid keys'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn', tenant_id: tenant, fields: ['config.sms_from', 'config.privacy_mode'] });
    expect(warnings[0]).not.toMatch(/555 0100|"phi"/);
  });
});

/**
 * The voice webhook, `POST /webhooks/twilio/:tenant/voice`: a live caller waits on every answer.
 *
 * - The call's first request (no `turn` in the URL): a greeting inside `<Gather input="speech">`
 *   whose action is this webhook with `?turn=1`. No run: the caller has said nothing yet.
 * - Each answer (`?turn=n`, `SpeechResult`, `Confidence`): WF17 runs in the realtime lane as the
 *   run of trigger `{CallSid}:{n}` (Twilio's retry of the same request is a duplicate of it), and
 *   this request waits for its output (request–reply, no polling) until the voice budget, counted
 *   from this request's arrival, is nearly spent. WF17's reply becomes `<Say>` in the next
 *   `<Gather>` (action `?turn=n+1`), a `<Dial>` to the front desk, or a `<Hangup>`.
 * - When the deadline comes first, or the turn failed: the WF71 fallback, an apology and `<Dial>`
 *   to the front desk. The run goes on and records its breach; WF71 runs as its child.
 *
 * `SpeechResult` and `From` are PHI: they go into the run's envelope (stored as the tenant's
 * privacy mode allows) and nowhere else; nothing here logs them.
 */
import { loadTenant, loadVoiceCallState, type TenantRecord } from '@revos/db';
import { E164_PHONE_RE, newRunId, PATIENT_ID_RE, toFieldIssues, type FieldIssue } from '@revos/envelope';
import { budgetFor } from '@revos/runtime';
import { frontDeskNumber, greeting, parseCallState, VoiceReply, type CallState } from '@revos/workflows/voice';
import type { Context } from 'hono';
import { z } from 'zod';
import type { ProducerDeps } from '../../platform/deps.js';
import { submitAtFrontDoor } from '../../services/front-door.js';
import type { AppEnv } from '../app-env.js';
import { tenantPrivacyMode } from './inbound-context.js';
import { checkTwilioSignature } from './twilio-request.js';
import { fallbackTwiml, gatherTwiml, replyTwiml } from './twiml.js';
import { twilioFormIssues } from './twilio-form.js';

/** Twilio's voice webhook fields we use; Twilio sends many more, which are ignored. */
export const TwilioVoiceForm = z.looseObject({
  CallSid: z.string().min(1),
  From: z.string().optional(),
  SpeechResult: z.string().optional(),
  /** Twilio sends it as text, "0.0" to "1.0". */
  Confidence: z.coerce.number().min(0).max(1).optional(),
});

/** The turn a Gather action names: `?turn=1` for the caller's first answer. Absent: the call's first request. */
const TurnQuery = z.coerce.number().int().min(1).max(500).optional();

/** The voice budget when neither the workflow nor the tenant names one. */
export const DEFAULT_VOICE_BUDGET_MS = 2_500;

export async function voiceWebhook(c: Context<AppEnv>, deps: ProducerDeps): Promise<Response> {
  // The budget runs from here, before the body is read: the caller's wait started when Twilio sent it.
  const arrivedAt = new Date();
  const { env, log } = deps;
  const tenantId = c.req.param('tenantId') ?? '';
  const rawBody = await c.req.text();
  const params = new URLSearchParams(rawBody);
  const signature = checkTwilioSignature(c, env, rawBody);
  if (!signature.ok) {
    log.warn({ webhook: 'twilio_voice', reason: signature.reason, algorithm: signature.algorithm }, 'webhook signature rejected');
    return c.json({ error: 'invalid_signature' }, 403);
  }
  // Repeated fields we read, or far more fields than Twilio sends: refused before anything is read further.
  const formIssues = twilioFormIssues(params);
  if (formIssues.length > 0) return c.json({ error: 'invalid_body', issues: formIssues }, 400);
  const raw = Object.fromEntries(params);
  const form = TwilioVoiceForm.safeParse(raw);
  const turnQuery = c.req.query('turn');
  const turn = TurnQuery.safeParse(turnQuery);
  // The tenant and, for an answer, the call's state are read together: one round trip of waiting, not two.
  const wantsState = form.success && turn.success && turn.data !== undefined;
  const [tenant, stateRow] = await Promise.all([
    loadTenant(deps.db.sql, tenantId),
    wantsState ? loadVoiceCallState(deps.db.sql, tenantId, form.data.CallSid) : Promise.resolve(null),
  ]);
  if (!tenant) return c.json({ error: 'unknown_tenant' }, 404);
  const issues: FieldIssue[] = [
    ...(form.success ? [] : toFieldIssues(form.error, raw)),
    ...(turn.success ? [] : toFieldIssues(turn.error, turnQuery).map((i) => ({ ...i, path: 'turn' }))),
  ];
  if (!form.success || !turn.success) return c.json({ error: 'invalid_body', issues }, 400);

  const frontDesk = frontDeskNumber(tenant.config);
  const path = `/webhooks/twilio/${encodeURIComponent(tenantId)}/voice`;
  const twiml = (body: string, headers: Record<string, string> = {}) => c.body(body, 200, { 'content-type': 'text/xml; charset=utf-8', ...headers });
  const callSid = form.data.CallSid;

  if (turn.data === undefined) {
    log.info({ tenant_id: tenantId, call_sid: callSid, turn: 0 }, 'call greeted');
    // The practice by its name (tenant config `practice_name`), never by its tenant id.
    return twiml(gatherTwiml(greeting(tenant.config), `${path}?turn=1`, frontDesk), { 'x-revos-reply': 'greeting' });
  }
  const speech = form.data.SpeechResult?.trim();
  if (!speech) {
    // A Gather action without words (actionOnEmptyResult): nobody to understand, so a person takes over.
    log.info({ tenant_id: tenantId, call_sid: callSid, turn: turn.data }, 'turn without speech; handed to the front desk');
    return twiml(fallbackTwiml(frontDesk), { 'x-revos-reply': 'no_speech' });
  }
  const state = parseCallState(stateRow?.state);
  return answerTurn({ c, deps, tenant, state, arrivedAt, callSid, turn: turn.data, speech, confidence: form.data.Confidence, from: form.data.From, path, frontDesk, twiml });
}

interface TurnInput {
  c: Context<AppEnv>;
  deps: ProducerDeps;
  tenant: TenantRecord;
  /** What the call's earlier turns left (who the caller is on the PMS's records). */
  state: CallState;
  arrivedAt: Date;
  callSid: string;
  turn: number;
  speech: string;
  confidence: number | undefined;
  from: string | undefined;
  path: string;
  frontDesk: string | null;
  twiml: (body: string, headers?: Record<string, string>) => Response;
}

async function answerTurn(t: TurnInput): Promise<Response> {
  const { deps, tenant } = t;
  const workflow = deps.env.TWILIO_VOICE_WORKFLOW;
  const definition = deps.catalog.latest(workflow);
  const budgetMs = budgetFor('voice', definition?.latencyBudgetMs ?? DEFAULT_VOICE_BUDGET_MS, tenant.config) ?? DEFAULT_VOICE_BUDGET_MS;
  // Leave the margin to write the TwiML out, so the caller hears it within the budget.
  const deadline = t.arrivedAt.getTime() + Math.max(0, budgetMs - deps.env.VOICE_REPLY_MARGIN_MS);

  // Who the caller is, if an earlier turn found them on the PMS's records: the run (and the
  // confirmation text it may ask for) is about that patient.
  const patientId = t.state.patient_id && PATIENT_ID_RE.test(t.state.patient_id) ? t.state.patient_id : null;
  // The run id is ours to choose, so the wait for its reply starts while intake is still writing.
  const runId = newRunId();
  const ownWait = new AbortController();
  const signal = AbortSignal.any([ownWait.signal, t.c.req.raw.signal]);
  const waitingForOwn = deps.replies.awaitRunOutput(runId, { deadline, signal });
  // Aborted when the deadline answers the caller first: the late outcome is then neither logged nor counted.
  const intakeAbandoned = new AbortController();
  const submitted = submitAtFrontDoor(
    deps,
    { tenantId: tenant.tenantId, source: 'webhook', abandoned: intakeAbandoned.signal },
    {
      kind: 'envelope',
      workflow,
      arrivedAt: t.arrivedAt,
      partial: {
        meta: {
          workflow_name: workflow,
          workflow_run_id: runId,
          trigger_source: 'voice',
          trigger_id: `${t.callSid}:${t.turn}`,
          environment: deps.env.ENVIRONMENT,
          privacy_mode: tenantPrivacyMode(tenant, deps.log),
        },
        subject: patientId ? { patient_id: patientId } : {},
        payload: {
          call_sid: t.callSid,
          turn: t.turn,
          speech_result: t.speech,
          ...(t.confidence === undefined ? {} : { confidence: t.confidence }),
          ...(t.from && E164_PHONE_RE.test(t.from) ? { from: t.from } : {}),
        },
      },
    },
  );
  // A caller is on the line: intake gets until the deadline like the run does. If the database or
  // Redis is slow or down, the caller hears the front desk on time; intake goes on (or fails) behind,
  // and what it recorded is run later (the reconciler re-enqueues an accepted run Redis never got).
  let timer: NodeJS.Timeout | undefined;
  const intakeDeadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), Math.max(0, deadline - Date.now()));
  });
  let outcome: Awaited<typeof submitted>;
  try {
    const first = await Promise.race([submitted, intakeDeadline]);
    if (first === 'deadline') {
      intakeAbandoned.abort();
      ownWait.abort();
      submitted.catch((error: unknown) =>
        deps.log.error({ tenant_id: tenant.tenantId, call_sid: t.callSid, turn: t.turn, err: (error as Error).name }, 'late voice intake failed'),
      );
      deps.log.warn({ tenant_id: tenant.tenantId, call_sid: t.callSid, turn: t.turn, budget_ms: budgetMs }, 'voice intake missed the deadline; caller handed to the front desk');
      return t.twiml(fallbackTwiml(t.frontDesk), { 'x-revos-reply': 'intake_deadline' });
    }
    outcome = first;
  } catch (error) {
    // Intake itself failed: nothing to wait for, but the caller still gets a person.
    ownWait.abort();
    deps.log.error({ tenant_id: tenant.tenantId, call_sid: t.callSid, turn: t.turn, err: (error as Error).name }, 'voice turn could not be accepted; caller handed to the front desk');
    return t.twiml(fallbackTwiml(t.frontDesk), { 'x-revos-reply': 'intake_failed' });
  } finally {
    clearTimeout(timer);
  }
  // Logged and counted by submitAtFrontDoor, as intake answered in time.
  if (!outcome.ok) {
    ownWait.abort();
    return t.c.json(outcome.body, outcome.httpStatus);
  }

  // A duplicate (Twilio asked again) is answered with the reply of the run it was first accepted as.
  const answeringRun = outcome.body.workflow_run_id;
  if (answeringRun !== runId) ownWait.abort();
  const output = answeringRun === runId ? await waitingForOwn : await deps.replies.awaitRunOutput(answeringRun, { deadline, signal: t.c.req.raw.signal });
  const reply = output?.result.status === 'ok' ? VoiceReply.safeParse(output.result.primary_outputs.reply) : null;
  const answered = reply?.success === true;
  const headers = { 'x-revos-run-id': answeringRun, 'x-revos-status': outcome.body.status, 'x-revos-reply': answered ? 'answered' : output ? 'failed' : 'deadline' };
  deps.log.info(
    { tenant_id: tenant.tenantId, workflow_run_id: answeringRun, call_sid: t.callSid, turn: t.turn, reply: headers['x-revos-reply'], elapsed_ms: Date.now() - t.arrivedAt.getTime(), budget_ms: budgetMs },
    answered ? 'voice turn answered' : 'voice turn fell back to the front desk',
  );
  if (!answered) return t.twiml(fallbackTwiml(t.frontDesk), headers);
  return t.twiml(replyTwiml(reply.data, `${t.path}?turn=${t.turn + 1}`, t.frontDesk), headers);
}

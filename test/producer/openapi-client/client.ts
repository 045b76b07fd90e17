/**
 * A client as an integrator would write it: openapi-fetch on the types openapi-typescript generated
 * from the document (openapi.generated.ts). `npm test`'s typecheck compiles it, and `Known<>` makes a
 * field the document leaves `unknown` a compile error; producer.openapi-contract.test.ts runs it
 * against the producer through Prism's validating proxy.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './openapi.generated.js';

type Schemas = components['schemas'];
/** `T`, unless it is `unknown` (or `any`): then `never`, so assigning to it fails to compile. */
type Known<T> = unknown extends T ? never : T;

export type GeneratedClient = ReturnType<typeof createClient<paths>>;

export function generatedClient(baseUrl: string, apiKey: string): GeneratedClient {
  return createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });
}

function answered<T>(what: string, r: { data?: T; error?: unknown; response: Response }): T {
  if (r.data === undefined) throw new Error(`${what}: ${r.response.status} ${JSON.stringify(r.error)}`);
  return r.data;
}

export interface ClientSession {
  accepted: Schemas['RunAccepted'];
  detail: Schemas['RunDetail'];
  tree: Schemas['RunTree'];
  workflows: Schemas['WorkflowList'];
  policy: Schemas['PolicyView'];
  consentSet: Schemas['ConsentSetAnswer'];
  consents: Schemas['ConsentList'];
  tasks: Schemas['TaskList'];
}

/** Every tenant route once, typed end to end: a log event run waited for, its detail and tree, policy, consents and tasks. */
export async function runClientSession(client: GeneratedClient, triggerId: string, patientId: string): Promise<ClientSession> {
  const accepted = answered(
    'submitRun',
    await client.POST('/v1/runs', {
      params: { query: { wait_ms: 10_000 } },
      body: {
        meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: triggerId, environment: 'staging', privacy_mode: 'standard' },
        subject: { patient_id: patientId },
        payload: { event_type: 'client.session', direction: 'internal', attributes: { generated: true } },
      },
    }),
  );
  const output: Known<typeof accepted.output> = accepted.output;
  void output;

  const detail = answered('getRun', await client.GET('/v1/runs/{id}', { params: { path: { id: accepted.workflow_run_id } } }));
  const envelope: Known<Schemas['RunDetail']['run']['envelope']> = detail.run.envelope;
  const summary: string | undefined = detail.run.output?.result.summary;
  const acceptedAt: string = detail.run.accepted_at;
  void [envelope, summary, acceptedAt];

  const tree = answered('getRunTree', await client.GET('/v1/runs/{id}/tree', { params: { path: { id: accepted.workflow_run_id } } }));
  const workflows = answered('listWorkflows', await client.GET('/v1/workflows'));
  const policy = answered('getPolicy', await client.GET('/v1/policy'));

  const consentSet = answered(
    'setConsent',
    await client.PUT('/v1/consents', { body: { subject: { patient_id: patientId }, channel: 'sms', status: 'allow', source: 'client_session' } }),
  );
  const changed: Known<typeof consentSet.changed> = consentSet.changed;
  void changed;
  const consents = answered('getConsents', await client.GET('/v1/consents', { params: { query: { subject: patientId } } }));
  const updatedAt: Known<Schemas['ConsentList']['consents'][number]['updated_at']> | undefined = consents.consents[0]?.updated_at;
  void updatedAt;

  const tasks = answered('listTasks', await client.GET('/v1/tasks', { params: { query: { status: 'all', limit: 5 } } }));
  const taskStatus: Known<Schemas['TaskList']['tasks'][number]['status']> | undefined = tasks.tasks[0]?.status;
  void taskStatus;
  return { accepted, detail, tree, workflows, policy, consentSet, consents, tasks };
}

/** A task action through the generated client; `data` on 200, `error` (typed) on a refusal. */
export async function actOnTask(client: GeneratedClient, taskId: string, action: 'claim' | 'resolve' | 'reopen', body: Schemas['TaskActionRequest'] = {}) {
  const r = await client.POST('/v1/tasks/{id}/{action}', { params: { path: { id: taskId, action } }, body });
  const task: Known<NonNullable<typeof r.data>['task']> | undefined = r.data?.task;
  void task;
  return r;
}

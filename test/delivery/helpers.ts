/**
 * Delivery receipts suites: a harness whose workers name the producer's status route as every text's
 * StatusCallback, the producer behind it on a port chosen first (PUBLIC_BASE_URL must be known to both),
 * and WF33_Delivery_Status registered against the harness's own database.
 */
import type { Db } from '@revos/db';
import { WF33_Delivery_Status } from '@revos/workflows';
import { startHarness, type Harness } from '../support/harness.js';
import { freePort } from '../support/processes.js';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';

/** The Twilio auth token of the harness's adapters: the stand-in signs callbacks with it, as Twilio does. */
export const HARNESS_TWILIO_TOKEN = 'test-token';

export interface DeliveryFleet {
  h: Harness;
  p: TestProducer;
}

export async function startDeliveryFleet(options: { concurrency?: number; metricsToken?: string } = {}): Promise<DeliveryFleet> {
  const port = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  let h: Harness | undefined;
  // WF33 reads through the harness's own database, which exists only once the harness has started.
  const records = { get sql() { return h!.db.sql; } } as unknown as Db;
  h = await startHarness({ extraWorkflows: [WF33_Delivery_Status(records)], publicBaseUrl, ...(options.concurrency ? { concurrency: options.concurrency } : {}) });
  const p = await startTestProducer(h, { TWILIO_AUTH_TOKEN: HARNESS_TWILIO_TOKEN, PORT: String(port), PUBLIC_BASE_URL: publicBaseUrl, ...(options.metricsToken ? { METRICS_TOKEN: options.metricsToken } : {}) });
  return { h, p };
}

/** The delivery status events of one message, oldest first. */
export async function statusEvents(h: Harness, sid: string): Promise<{ status: string; workflow_run_id: string; root_run_id: string }[]> {
  return h.db.sql<{ status: string; workflow_run_id: string; root_run_id: string }[]>`
    select e.payload->>'status' as status, e.workflow_run_id, e.root_run_id
      from events e
     where e.event_type in ('sms.delivery_status', 'call.delivery_status') and e.payload->>'sid' = ${sid}
     order by e.occurred_at`;
}

/** Polls until `check` holds (or throws its last failure after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

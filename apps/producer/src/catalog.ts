import { randomBytes } from 'node:crypto';
import type { Db } from '@revos/db';
import type { AnyWorkflow, WorkflowCatalog } from '@revos/runtime';
import {
  createHttpPmsAdapter,
  createReferenceCatalog,
  createStripePaymentProvider,
  createTwilioSmsProvider,
  createTwilioVoiceProvider,
  type WorkflowServices,
} from '@revos/workflows';

/** Workflows served beside the reference ones (a deployment's own, or a test's). */
export type ExtraWorkflows = (services: WorkflowServices) => AnyWorkflow[];

/** Stands in for the Db in the producer's catalog: any use is a bug, and says so. */
const NO_RECORDS = new Proxy({} as Db, {
  get(_target, property) {
    throw new Error(`the producer's catalog never runs a handler (records.${String(property)} was used)`);
  },
});

/**
 * The producer reads only names, versions and lanes from the catalog: it validates and routes,
 * it never runs a handler. The vendor adapters the reference workflows are built with therefore
 * point at a reserved, unresolvable host (RFC 2606 `.invalid`): should a handler ever run here
 * by mistake, its call fails loudly instead of reaching a real vendor.
 */
export function createProducerCatalog(extraWorkflows?: ExtraWorkflows): WorkflowCatalog {
  const unused = { baseUrl: 'https://vendor.invalid', accountSid: 'AC_producer_never_calls', authToken: 'unused', timeoutMs: 1_000 };
  const services: WorkflowServices = {
    sms: createTwilioSmsProvider(unused),
    voice: createTwilioVoiceProvider(unused),
    pms: createHttpPmsAdapter({ baseUrl: 'https://vendor.invalid/pms', apiKey: 'unused', timeoutMs: 1_000 }),
    payments: createStripePaymentProvider({ baseUrl: 'https://vendor.invalid', secretKey: 'unused', timeoutMs: 1_000 }),
    // WF15/WF54/WF84 are registered only with a token key and the record; the producer needs their
    // names, never their handlers: a throwaway key, and a record that throws if ever touched.
    privacy: { tokenKey: randomBytes(32).toString('base64') },
    records: NO_RECORDS,
  };
  return createReferenceCatalog(services, extraWorkflows?.(services) ?? []);
}

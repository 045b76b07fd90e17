/**
 * Shared by the privacy suites: the compliance workflows wired to a harness's own database, and
 * the canary values a test plants to play a leak.
 */
import type { Db } from '@revos/db';
import { WF54_Dataset_Curation, WF84_Compliance_Sentinel } from '@revos/workflows';
import type { AnyWorkflow } from '@revos/runtime';
import { TEST_PHI_TOKEN_KEY, type Harness } from '../support/harness.js';

/** Values no redacted record may ever contain: a phone number, a name and a message body. */
export const CANARY_PHONE = '+1 (555) 867-5309';
export const CANARY_PHONE_DIGITS = '5558675309';
export const CANARY_NAME = 'Jenny Canaryfield';
export const CANARY_BODY = `Hi ${CANARY_NAME}, your biopsy results are in, call ${CANARY_PHONE}`;

/**
 * The harness builds its catalog (from `referenceWorkflows(services)` without `records`) before its
 * database exists, so the compliance workflows come in as extra workflows whose record is read
 * from the harness when a run needs it.
 */
export function lazyRecords(get: () => Harness): Db {
  return {
    get sql() {
      return get().db.sql;
    },
    get orm() {
      return get().db.orm;
    },
    close: async () => {},
  };
}

export function complianceWorkflows(get: () => Harness, exportDir?: string): AnyWorkflow[] {
  const records = lazyRecords(get);
  return [
    WF84_Compliance_Sentinel({ records, tokenKey: TEST_PHI_TOKEN_KEY }),
    WF54_Dataset_Curation({ records, tokenKey: TEST_PHI_TOKEN_KEY, exportDir }),
  ] as AnyWorkflow[];
}

export function containsCanary(text: string): boolean {
  return text.includes(CANARY_NAME) || text.includes(CANARY_PHONE) || text.includes(CANARY_PHONE_DIGITS) || text.includes('biopsy');
}

import { createRedactor, defineWorkflow, DEFAULT_PHI_CATALOGUE, extendCatalogue } from '@revos/runtime';
import { WF15Manifest } from '../manifests/WF15_Redactor.js';

export interface WF15RedactorOptions {
  /** The PHI token key (≥ 32 bytes) from the app's env.ts (`PHI_TOKEN_KEY`). Rotating it breaks joins with earlier tokens. */
  tokenKey: string;
}

/**
 * Redacts a JSON document field by field (`createRedactor` in @revos/runtime): catalogued PHI fields
 * become keyed tokens or free-text markers; other strings are scanned for phones, emails, SSNs and
 * birth dates. The output holds no PHI; the findings say where PHI was, never what it was.
 *
 * A factory because it needs the token key. A short or placeholder key throws `PhiTokenKeyError`
 * here, when the worker builds its catalog, rather than on the first run.
 */
export function WF15_Redactor(options: WF15RedactorOptions) {
  const defaultRedactor = createRedactor({ key: options.tokenKey });
  return defineWorkflow({
    ...WF15Manifest,
    async run(ctx) {
      const extra = ctx.payload.catalogue_extra;
      const redactor =
        extra === undefined || Object.keys(extra).length === 0
          ? defaultRedactor
          : createRedactor({ key: options.tokenKey, catalogue: extendCatalogue(DEFAULT_PHI_CATALOGUE, extra) });
      const { value, findings } = redactor.redact(ctx.payload.document);
      return {
        summary: `redacted ${findings.length} PHI value(s)`,
        primary_outputs: { redacted: value, findings },
        phi_touched: true,
      };
    },
  });
}

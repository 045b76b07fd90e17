import { JsonObject } from '@revos/envelope';
import { defineManifest, PhiCatalogueConfig } from '@revos/runtime';
import { z } from 'zod';

/** WF15_Redactor's manifest: what intake, the API description and the CLI know of it (its handler: ../workflows/WF15_Redactor.ts). */
export const WF15Manifest = defineManifest({
  name: 'WF15_Redactor',
  version: '1.0.0',
  lane: 'batch',
  channel: 'batch',
  payload: z
    .object({
      document: JsonObject,
      /** Fields this document has beyond the default catalogue, e.g. `{ insurance_group: 'identifier' }`. */
      catalogue_extra: PhiCatalogueConfig.optional(),
    })
    .strict(),
});

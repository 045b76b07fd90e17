import { JsonObject } from '@revos/envelope';
import { defineManifest, PhiCatalogueConfig } from '@revos/runtime';
import { z } from 'zod';

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

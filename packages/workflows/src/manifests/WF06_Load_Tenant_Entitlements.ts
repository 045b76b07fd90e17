import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const WF06Manifest = defineManifest({
  name: 'WF06_Load_Tenant_Entitlements',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'ui',
  payload: z.object({ workflow: z.string().optional() }).strict(),
});

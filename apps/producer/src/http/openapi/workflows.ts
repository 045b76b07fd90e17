import { payloadSchemaOf, type ManifestCatalog } from '@revos/runtime';
import type { z } from 'zod';
import type { WorkflowInfo } from '../../contracts/api.js';
import { standaloneSchema } from './json-schema.js';

/** One registered version with its payload schema (the zod value), ordered by name then version. */
export interface WorkflowEntry {
  name: string;
  version: string;
  latest: boolean;
  lane: WorkflowInfo['lane'];
  channel: WorkflowInfo['channel'];
  latencyBudgetMs: number | null;
  outbound: WorkflowInfo['outbound'];
  payload: z.ZodType;
}

/** Every registered workflow version, read through the one door to payload schemas. */
export function workflowEntries(catalog: ManifestCatalog): WorkflowEntry[] {
  return catalog
    .list()
    .map((wf) => ({
      name: wf.name,
      version: wf.version,
      latest: catalog.latest(wf.name)?.version === wf.version,
      lane: wf.lane,
      channel: wf.channel,
      latencyBudgetMs: wf.latencyBudgetMs,
      outbound: wf.outbound ? wf.outbound.channel : null,
      // Registered by construction: the entry comes from the catalog itself.
      payload: payloadSchemaOf(catalog, wf.name, wf.version)!,
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, undefined, { numeric: true }));
}

/** GET /v1/workflows: names, versions, lanes and payload schemas as JSON Schema. */
export function describeWorkflows(catalog: ManifestCatalog): WorkflowInfo[] {
  return workflowEntries(catalog).map((e) => ({
    name: e.name,
    version: e.version,
    latest: e.latest,
    lane: e.lane,
    channel: e.channel,
    latency_budget_ms: e.latencyBudgetMs,
    outbound: e.outbound,
    payload_schema: standaloneSchema(e.payload),
  }));
}

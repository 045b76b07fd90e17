/**
 * A deployment's own workflows, loaded from an ES module named by configuration
 * (WORKFLOWS_MODULE), so the stock worker, producer and CLI can run them without a fork.
 *
 * The module exports, as `workflows` or as its default, either a function of the vendor
 * services returning workflow definitions (`(services) => [WF99_My_Workflow(services)]`) or an
 * array of definitions; and, beside a function, `manifests`: the same workflows' manifests
 * (`[WF99Manifest]`), which need no services. Workers, producers and the CLI must load the same
 * module: the producer and the CLI validate and route by its manifests, the worker runs its workflows.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyWorkflow } from './define-workflow.js';
import { isWorkflowManifest, type AnyManifest } from './manifest.js';
import { InvalidConfigurationError } from '@revos/settings';

/** Workflows served beside the reference ones, built from the process's vendor services. */
export type WorkflowFactory<Services> = (services: Services) => AnyWorkflow[];

/** Loads WORKFLOWS_MODULE; a missing module or a wrong export stops the process (exit 78) naming the variable and the rule. */
export async function loadWorkflowsModule<Services>(path: string, variable = 'WORKFLOWS_MODULE'): Promise<WorkflowFactory<Services>> {
  const { loaded, fail } = await importModule(path, variable);
  const exported = loaded.workflows ?? loaded.default;
  if (typeof exported !== 'function' && !Array.isArray(exported)) {
    return fail('must export `workflows` (or a default): a function (services) => workflows, or an array of workflows');
  }
  return (services: Services) => {
    const list: unknown = typeof exported === 'function' ? (exported as (s: Services) => unknown)(services) : exported;
    if (!Array.isArray(list)) return fail('`workflows` must return an array of workflows made with defineWorkflow');
    list.forEach((wf, i) => {
      if (!isWorkflowDefinition(wf)) fail(`\`workflows\` item ${i} is not a workflow made with defineWorkflow (name, version, lane, payload, run)`);
    });
    return list as AnyWorkflow[];
  };
}

/**
 * The manifests of WORKFLOWS_MODULE's workflows, for the producer and the CLI (which build no
 * services): its `manifests`, or its `workflows` when that is an array (definitions are manifests).
 * A module exporting only a function of services cannot be read without them: exit 78 naming the rule.
 */
export async function loadManifestsModule(path: string, variable = 'WORKFLOWS_MODULE'): Promise<AnyManifest[]> {
  const { loaded, fail } = await importModule(path, variable);
  const workflows = loaded.workflows ?? loaded.default;
  const manifests = loaded.manifests ?? (Array.isArray(workflows) ? workflows : undefined);
  if (manifests === undefined) {
    return fail(
      typeof workflows === 'function'
        ? 'must export `manifests` beside its `workflows` function: an array of manifests (defineManifest), which the producer and the CLI read without services'
        : 'must export `workflows` (or a default) and `manifests`: a function (services) => workflows and an array of their manifests, or an array of workflows',
    );
  }
  if (!Array.isArray(manifests)) return fail('`manifests` must be an array of manifests made with defineManifest');
  manifests.forEach((m, i) => {
    if (!isWorkflowManifest(m)) fail(`\`manifests\` item ${i} is not a manifest made with defineManifest (name, version, lane, payload)`);
  });
  return manifests as AnyManifest[];
}

async function importModule(path: string, variable: string): Promise<{ file: string; loaded: Record<string, unknown>; fail: (rule: string) => never }> {
  const file = isAbsolute(path) ? path : resolve(process.cwd(), path);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidConfigurationError(`invalid configuration\n  ${variable}: cannot load ${file} (${error instanceof Error ? error.message : String(error)})`);
  }
  const fail = (rule: string): never => {
    throw new InvalidConfigurationError(`invalid configuration\n  ${variable}: ${file} ${rule}`);
  };
  return { file, loaded, fail };
}

/** Both factories' workflows (a process's own hook and the configured module); either may be absent. */
export function combineWorkflowFactories<Services>(...factories: (WorkflowFactory<Services> | undefined)[]): WorkflowFactory<Services> | undefined {
  const present = factories.filter((f): f is WorkflowFactory<Services> => f !== undefined);
  if (present.length === 0) return undefined;
  return (services) => present.flatMap((f) => f(services));
}

function isWorkflowDefinition(value: unknown): value is AnyWorkflow {
  return isWorkflowManifest(value) && typeof (value as Partial<AnyWorkflow>).run === 'function';
}

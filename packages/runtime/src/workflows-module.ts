/**
 * A deployment's own workflows, loaded from an ES module named by configuration
 * (WORKFLOWS_MODULE), so the stock worker, producer and CLI can run them without a fork.
 *
 * The module exports, as `workflows` or as its default, either a function of the vendor
 * services returning workflow definitions (`(services) => [WF99_My_Workflow(services)]`) or an
 * array of definitions. Workers, producers and the CLI must load the same module: the producer
 * validates and routes by it, the worker runs it.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyWorkflow } from './define-workflow.js';
import { InvalidConfigurationError } from './process.js';

/** Workflows served beside the reference ones, built from the process's vendor services. */
export type WorkflowFactory<Services> = (services: Services) => AnyWorkflow[];

/** Loads WORKFLOWS_MODULE; a missing module or a wrong export stops the process (exit 78) naming the variable and the rule. */
export async function loadWorkflowsModule<Services>(path: string, variable = 'WORKFLOWS_MODULE'): Promise<WorkflowFactory<Services>> {
  const file = isAbsolute(path) ? path : resolve(process.cwd(), path);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidConfigurationError(`invalid configuration\n  ${variable}: cannot load ${file} (${error instanceof Error ? error.message : String(error)})`);
  }
  const exported = loaded.workflows ?? loaded.default;
  const fail = (rule: string): never => {
    throw new InvalidConfigurationError(`invalid configuration\n  ${variable}: ${file} ${rule}`);
  };
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

/** Both factories' workflows (a process's own hook and the configured module); either may be absent. */
export function combineWorkflowFactories<Services>(...factories: (WorkflowFactory<Services> | undefined)[]): WorkflowFactory<Services> | undefined {
  const present = factories.filter((f): f is WorkflowFactory<Services> => f !== undefined);
  if (present.length === 0) return undefined;
  return (services) => present.flatMap((f) => f(services));
}

function isWorkflowDefinition(value: unknown): value is AnyWorkflow {
  if (typeof value !== 'object' || value === null) return false;
  const wf = value as Partial<AnyWorkflow>;
  return typeof wf.name === 'string' && typeof wf.version === 'string' && typeof wf.lane === 'string' && typeof wf.run === 'function' && typeof wf.payload?.safeParse === 'function';
}

/** Test workflows, an in-process CLI runner and a Prometheus text parser for the operations suites. */
import { runCli } from '@revos/producer';
import { defineWorkflow } from '@revos/runtime';
import { z } from 'zod';
import { REDIS_URL, type Harness } from '../support/harness.js';

/** A three-level lineage: root → two middles → a leaf under each. */
export const chainRoot = defineWorkflow({
  name: 'WF90_Ops_Chain_Root',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({ label: z.string() }),
  async run(ctx) {
    return {
      summary: 'root',
      primary_outputs: { label: ctx.payload.label },
      next_actions: [
        { workflow: 'WF91_Ops_Chain_Middle', payload: { n: 1 } },
        { workflow: 'WF91_Ops_Chain_Middle', payload: { n: 2 } },
      ],
    };
  },
});
export const chainMiddle = defineWorkflow({
  name: 'WF91_Ops_Chain_Middle',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({ n: z.number() }),
  async run(ctx) {
    return { summary: 'middle', next_actions: [{ workflow: 'WF92_Ops_Chain_Leaf', payload: { n: ctx.payload.n } }] };
  },
});
export const chainLeaf = defineWorkflow({
  name: 'WF92_Ops_Chain_Leaf',
  version: '1.0.0',
  lane: 'batch',
  payload: z.object({ n: z.number() }),
  async run() {
    return { summary: 'leaf' };
  },
});
/** Fails terminally (internal_error: `failed`, escalated with a task). */
export const alwaysFails = defineWorkflow({
  name: 'WF93_Ops_Always_Fails',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({ note: z.string() }),
  attempts: 1,
  async run() {
    throw new Error('the test workflow always fails');
  },
});
/** Sleeps past its 20 ms budget: a latency breach. */
export const slow = defineWorkflow({
  name: 'WF94_Ops_Slow',
  version: '1.0.0',
  lane: 'interactive',
  latencyBudgetMs: 20,
  payload: z.object({ i: z.number() }),
  async run() {
    await new Promise((r) => setTimeout(r, 60));
    return { summary: 'slow' };
  },
});
export const opsWorkflows = [chainRoot, chainMiddle, chainLeaf, alwaysFails, slow];
/** A realtime workflow for fleets that serve no realtime lane: its runs wait (queue depth and age). */
export const realtimeProbe = defineWorkflow({
  name: 'WF95_Ops_Realtime_Probe',
  version: '1.0.0',
  lane: 'realtime',
  channel: 'voice',
  payload: z.object({ n: z.number() }),
  async run() {
    return { summary: 'probe' };
  },
});


export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `revos ...args` in this process (the same entry point bin/revos.mjs spawns), against the harness. */
export async function revos(h: Harness, ...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix, USER: 'ops-test-user' },
    manifests: opsWorkflows,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format: `name{label="v",...} value` lines; # lines skipped. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Samples of one metric whose labels include `match`. */
export function series(samples: Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

export const sum = (samples: Sample[]) => samples.reduce((a, s) => a + s.value, 0);

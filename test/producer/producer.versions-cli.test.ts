/**
 * `revos workflows versions`: per workflow and version, how this release serves it and the runs that
 * name it: unfinished (PostgreSQL) and their jobs queued, delayed and in flight (BullMQ), against a real
 * fleet with a run held in flight, one waiting behind it, one not due yet and one of a dropped version.
 */
import { runCli } from '@revos/producer';
import { defineManifest, defineWorkflow, retiredVersion, submitRun, WorkflowCatalog, type AnyManifest } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REDIS_URL, startHarness, type Harness } from '../support/harness.js';

let entered!: () => void;
const inFlight = new Promise<void>((resolve) => (entered = resolve));
let release!: () => void;
const released = new Promise<void>((resolve) => (release = resolve));

const BLOCKER = 'WF79_Versions_Blocker';
const blockerV1 = defineManifest({ name: BLOCKER, version: '1.0.0', lane: 'interactive', payload: z.object({ label: z.string() }) });
const blockerV2 = defineWorkflow({
  name: BLOCKER,
  version: '2.0.0',
  lane: 'interactive',
  payload: z.object({ title: z.string() }),
  async run() {
    entered();
    await released;
    return { summary: 'held' };
  },
});
const blockerRetired = retiredVersion(blockerV1, { upgradeTo: '2.0.0', upgrade: (p) => ({ title: p.label }) });
const kept = (version: string) => defineWorkflow({ name: 'WF75_Versions_Kept', version, lane: 'interactive', payload: z.object({}), run: async () => ({ summary: 'kept' }) });
/** In the producer's release that accepted its run, gone from the CLI's (and the workers') release. */
const gone = defineManifest({ name: 'WF76_Versions_Gone', version: '1.0.0', lane: 'batch', payload: z.object({ n: z.number() }) });

const release2: AnyManifest[] = [blockerRetired, blockerV2, kept('1.0.0'), kept('1.1.0')];

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [blockerRetired, blockerV2, kept('1.0.0'), kept('1.1.0')], lanes: ['interactive'], concurrency: 1 });
});
afterAll(async () => {
  release();
  await h?.close();
});

async function revos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix }, manifests: release2 });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

interface Row {
  workflow: string;
  version: string;
  served: string;
  unfinished: number;
  queued: number;
  delayed: number;
  in_flight: number;
}

describe('revos workflows versions', () => {
  it('lists each version with how this release serves it and its runs unfinished, queued, delayed and in flight', async () => {
    const held = h.envelope({ workflow: BLOCKER, version: '2.0.0', payload: { title: 'first' } });
    await submitRun(h, held, { source: 'api' });
    await inFlight;
    // Behind the held run (concurrency 1): waiting under the retired version.
    await submitRun(h, h.envelope({ workflow: BLOCKER, version: '1.0.0', payload: { label: 'second' } }), { source: 'api' });
    await submitRun(h, h.envelope({ workflow: BLOCKER, version: '2.0.0', payload: { title: 'later' } }), { source: 'api', runAfter: new Date(Date.now() + 3_600_000) });
    const olderProducer = { db: h.db, queues: h.queues, privacy: h.privacy, catalog: new WorkflowCatalog<AnyManifest>([...h.catalog.list(), gone]) };
    await submitRun(olderProducer, h.envelope({ workflow: gone.name, version: '1.0.0', payload: { n: 1 } }), { source: 'api' });

    const json = await revos('workflows', 'versions', '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const rows = (JSON.parse(json.stdout) as { versions: Row[] }).versions;
    const of = (workflow: string, version: string) => rows.find((r) => r.workflow === workflow && r.version === version);
    expect(of(BLOCKER, '1.0.0')).toEqual({ workflow: BLOCKER, version: '1.0.0', served: 'upgrade→2.0.0', unfinished: 1, queued: 1, delayed: 0, in_flight: 0 });
    expect(of(BLOCKER, '2.0.0')).toEqual({ workflow: BLOCKER, version: '2.0.0', served: 'current', unfinished: 2, queued: 0, delayed: 1, in_flight: 1 });
    expect(of(gone.name, '1.0.0')).toEqual({ workflow: gone.name, version: '1.0.0', served: 'missing', unfinished: 1, queued: 1, delayed: 0, in_flight: 0 });
    expect(of('WF75_Versions_Kept', '1.0.0')).toMatchObject({ served: 'kept', unfinished: 0 });
    expect(of('WF75_Versions_Kept', '1.1.0')).toMatchObject({ served: 'current', unfinished: 0 });
    // The reference workflows are listed too, with nothing waiting on them.
    expect(rows.find((r) => r.workflow === 'WF30_Send_SMS')).toMatchObject({ served: 'current', unfinished: 0, queued: 0 });

    const text = await revos('workflows', 'versions', '--workflow', BLOCKER);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^WORKFLOW\s+VERSION\s+SERVED\s+UNFINISHED\s+QUEUED\s+DELAYED\s+IN_FLIGHT$/);
    expect(lines.filter((l) => l.startsWith('WF'))).toEqual([
      expect.stringMatching(/^WF79_Versions_Blocker\s+1\.0\.0\s+upgrade→2\.0\.0\s+1\s+1\s+0\s+0$/),
      expect.stringMatching(/^WF79_Versions_Blocker\s+2\.0\.0\s+current\s+2\s+0\s+1\s+1$/),
    ]);
    expect(text.stdout).toContain('PostgreSQL, authoritative');

    const all = await revos('workflows', 'versions');
    expect(all.stdout).toContain('not served by this release: WF76_Versions_Gone@1.0.0');
  });

  it('names a missing subcommand or an option it does not take (exit 2)', async () => {
    const bare = await revos('workflows');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('workflows: missing subcommand versions');
    const tenant = await revos('workflows', 'versions', '--tenant', 't_x');
    expect(tenant.code).toBe(2);
    expect(tenant.stderr).toContain('workflows versions: --tenant is not an option of this command');
    const help = await revos('workflows', '--help');
    expect(help.stdout).toContain('revos workflows versions [--workflow <name>] [--json]');
  });
});

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, startHarness, type Harness } from '../support/harness.js';
import { REPO_ROOT } from '../support/processes.js';
import { startTestProducer, type TestProducer } from './helpers.js';

let h: Harness;
let p: TestProducer;
let dir: string;
beforeAll(async () => {
  h = await startHarness();
  p = await startTestProducer(h);
  dir = await mkdtemp(join(tmpdir(), 'revos-cli-'));
});
afterAll(async () => {
  await p?.close();
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node apps/producer/bin/revos.mjs ...args` from the repo root, as an operator would run `npx revos`. */
function revos(...args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, ['apps/producer/bin/revos.mjs', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: h.database.url, QUEUE_PREFIX: h.prefix, REDIS_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const authed = (key: string) => ({ authorization: `Bearer ${key}` });

describe('revos CLI', () => {
  it('creates a tenant and prints an API key once, which then authenticates against the API', async () => {
    const tenant = `t_cli_${ulid().toLowerCase()}`;
    const res = await revos('tenants', 'create', tenant, '--name', 'CLI Practice');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const key = /^api key: (rvk_\S+)$/m.exec(res.stdout)?.[1];
    expect(res.stdout).toContain(`tenant ${tenant} created`);
    expect(res.stdout).toContain('(store it now: it is not shown again)');
    expect(key).toBeDefined();

    const unknownRun = await fetch(`${p.url}/v1/runs/wr_NOPE`, { headers: authed(key!) });
    expect(unknownRun.status).toBe(404); // authenticated (401 otherwise), and no such run
    const [row] = await h.db.sql`select name, entitlements from tenants where tenant_id = ${tenant}`;
    expect(row).toEqual({ name: 'CLI Practice', entitlements: { workflows: '*' } });
  });

  it('prints {tenant_id, api_key} with --json, and takes the tenant config from --config', async () => {
    const tenant = `t_cli_${ulid().toLowerCase()}`;
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ sms_from: '+15550000001' }));
    const res = await revos('tenants', 'create', tenant, '--config', config, '--json');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { tenant_id: string; api_key: string };
    expect(out.tenant_id).toBe(tenant);
    expect(out.api_key).toMatch(/^rvk_/);
    const [row] = await h.db.sql`select config from tenants where tenant_id = ${tenant}`;
    expect(row?.config).toEqual({ sms_from: '+15550000001' });

    const posted = await fetch(`${p.url}/v1/runs`, {
      method: 'POST',
      headers: { ...authed(out.api_key), 'content-type': 'application/json' },
      body: JSON.stringify({
        meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: 'ui:1', environment: 'staging', privacy_mode: 'standard' },
        subject: {},
        payload: { event_type: 'tenant.onboarded', direction: 'internal' },
      }),
    });
    expect(posted.status).toBe(202);
  });

  it('enqueues an envelope file like the API does, then shows the run and its tree', async () => {
    const tenant = `t_cli_${ulid().toLowerCase()}`;
    expect((await revos('tenants', 'create', tenant)).code).toBe(0);
    const file = join(dir, 'envelope.json');
    await writeFile(
      file,
      JSON.stringify({
        meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: 'call:CA1:leg:2', environment: 'staging', privacy_mode: 'standard' },
        subject: {},
        payload: { event_type: 'note.added', direction: 'internal' },
        options: { priority: 'high' },
      }),
    );
    const first = await revos('enqueue', file, '--tenant', tenant, '--json');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const queued = JSON.parse(first.stdout) as Record<string, string>;
    expect(queued).toMatchObject({ status: 'queued', workflow_run_id: expect.stringMatching(/^wr_/) });
    expect(Object.keys(queued).sort()).toEqual(['idempotency_key', 'job_id', 'root_run_id', 'status', 'workflow_run_id']);
    expect(queued.idempotency_key).toContain(`idem:${tenant}:WF11_Log_Event:call:CA1:leg:2:`);
    const [accepted] = await h.db.sql`select source, priority from accepted_runs where workflow_run_id = ${queued.workflow_run_id!}`;
    expect(accepted).toEqual({ source: 'cli', priority: 'high' });
    expect((await h.waitForRun(queued.workflow_run_id!)).status).toBe('ok');

    const [again, tree, treeJson, show] = await Promise.all([
      revos('enqueue', file, '--tenant', tenant, '--json'),
      revos('runs', 'tree', queued.workflow_run_id!, '--tenant', tenant),
      revos('runs', 'tree', queued.workflow_run_id!, '--tenant', tenant, '--json'),
      revos('runs', 'show', queued.workflow_run_id!, '--tenant', tenant, '--json'),
    ]);
    expect(JSON.parse(again.stdout)).toEqual({ ...queued, status: 'duplicate' });

    expect(tree.code).toBe(0);
    const lines = tree.stdout.trim().split('\n');
    expect(lines[0]).toBe(`root ${queued.workflow_run_id} (1 run)`);
    expect(lines[1]).toMatch(/^WORKFLOW\s+STATUS\s+LATENCY_MS\s+RETRIES\s+BREACH\s+RUN_ID$/);
    expect(lines[2]).toMatch(new RegExp(`^WF11_Log_Event\\s+ok\\s+\\d+\\s+0\\s+no\\s+${queued.workflow_run_id}$`));

    // The CLI's JSON is the API's JSON: one code path.
    const apiKey = JSON.parse((await revos('tenants', 'keys', 'create', tenant, '--json')).stdout).api_key as string;
    const fromApi = await fetch(`${p.url}/v1/runs/${queued.workflow_run_id}/tree`, { headers: authed(apiKey) });
    expect(JSON.parse(treeJson.stdout)).toEqual(await fromApi.json());
    const detail = JSON.parse(show.stdout);
    expect(detail.run).toMatchObject({ workflow_run_id: queued.workflow_run_id, status: 'ok' });
    expect(detail.events.map((e: { event_type: string }) => e.event_type)).toEqual(['note.added']);
    // Seven CLI processes, each a cold Node start: on a loaded 2-core machine they took over 30 s in all.
  }, 90_000);

  it('exits 2 naming the missing or bad argument on usage errors', async () => {
    const [noTenant, noRunId, noCommand, unknownOption, badTenantId] = await Promise.all([
      revos('enqueue', 'envelope.json'),
      revos('runs', 'show', '--tenant', 't_x'),
      revos(),
      revos('runs', 'tree', 'wr_X', '--tenant', 't_x', '--colour'),
      revos('tenants', 'create', 'practice-without-prefix'),
    ]);
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toContain('enqueue: missing option --tenant <tenant_id>');
    expect(noRunId.code).toBe(2);
    expect(noRunId.stderr).toContain('runs show: missing argument <run_id>');
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toContain('missing command');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain('--colour');
    expect(badTenantId.code).toBe(2);
    expect(badTenantId.stderr).toContain('<tenant_id> must look like t_');
  });

  it('exits 1 with every failing field for an envelope the API would refuse, and for an unknown run', async () => {
    const tenant = `t_cli_${ulid().toLowerCase()}`;
    expect((await revos('tenants', 'create', tenant)).code).toBe(0);
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', environment: 'staging', privacy_mode: 'secret' }, subject: {}, payload: 7 }));
    const [bad, missingRun, missingFile] = await Promise.all([
      revos('enqueue', file, '--tenant', tenant, '--json'),
      revos('runs', 'show', 'wr_NOPE', '--tenant', tenant),
      revos('enqueue', join(dir, 'absent.json'), '--tenant', tenant),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid_envelope \(400\): .*meta\.trigger_id: required.*meta\.privacy_mode: invalid_enum.*payload: type:object/);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: 'invalid_envelope' });
    expect(missingRun.code).toBe(1);
    expect(missingRun.stderr).toContain(`run wr_NOPE not found for tenant ${tenant}`);
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr).toContain('absent.json: cannot read (ENOENT)');
  });

  it('prints the whole usage with --help, one command group\'s with <group> --help, and the version with --version', async () => {
    const [all, runsHelp, version, versionAfterCommand] = await Promise.all([revos('--help'), revos('runs', '--help'), revos('--version'), revos('tasks', '--version')]);
    expect(all.code).toBe(0);
    for (const group of ['tenants create', 'enqueue', 'runs show', 'tasks list', 'policy set', 'consents set', 'effects settle', 'export', 'prune']) {
      expect(all.stdout).toContain(`revos ${group}`);
    }
    // The configuration note names the settings a CLI must share with its fleet.
    for (const setting of ['DATABASE_URL', 'DATABASE_POOLER', 'REDIS_URL', 'REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER', 'QUEUE_PREFIX', 'FAIR_SHARE', 'WORKFLOWS_MODULE']) {
      expect(all.stdout).toContain(setting);
    }
    expect(runsHelp.code).toBe(0);
    expect(runsHelp.stdout).toContain('revos runs replay --failed');
    expect(runsHelp.stdout).not.toContain('revos tenants create');
    expect(runsHelp.stderr).toBe('');
    const { version: expected } = (await import('../../apps/producer/package.json', { with: { type: 'json' } })).default;
    expect(version).toMatchObject({ code: 0, stdout: `revos ${expected}\n`, stderr: '' });
    expect(versionAfterCommand).toMatchObject({ code: 0, stdout: `revos ${expected}\n` });
  });

  it('exits 2 on an unknown command or an unknown flag, naming it, with the usage to choose from', async () => {
    const [unknownCommand, unknownFlag] = await Promise.all([revos('tenant', 'create', 't_x'), revos('prune', '--dry-runn')]);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain('revos: unknown command "tenant"');
    expect(unknownCommand.stderr).toContain('revos tenants create <tenant_id>');
    expect(unknownCommand.stdout).toBe('');
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr.split('\n')[0]).toBe('revos prune: unknown option --dry-runn');
    expect(unknownFlag.stderr).toContain('revos prune [--dry-run]');
    expect(unknownFlag.stderr).not.toContain('revos tenants create');
  });
});

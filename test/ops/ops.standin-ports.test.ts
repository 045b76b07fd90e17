/**
 * `npm start`'s stand-ins listen where VENDOR_STANDIN_PORT and STRIPE_STANDIN_PORT say, like every
 * other port of the fleet, and a bad value stops the launcher before anything starts (exit 78 naming
 * the variable). The fleet itself is made to stop at once (a WORKFLOWS_MODULE that does not exist),
 * so only the stand-ins come up: their own "listening" lines name the ports they took.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from '../support/processes.js';

function runStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const base = { ...process.env };
  // The stand-ins start only when no vendor URL is given.
  delete base.TWILIO_BASE_URL;
  delete base.STRIPE_BASE_URL;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: REPO_ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('npm start: the stand-ins\' ports', () => {
  it.each([
    ['VENDOR_STANDIN_PORT', '70000'],
    ['STRIPE_STANDIN_PORT', 'http'],
    ['VENDOR_STANDIN_PORT', '-1'],
  ])('%s=%s stops the launcher with exit 78 naming the variable, before anything starts', async (name, value) => {
    const { code, output } = await runStart({ [name]: value });
    expect(code).toBe(78);
    expect(output).toContain(`invalid configuration\n  ${name}: must be a port number 0..65535, got ${JSON.stringify(value)}`);
    expect(output).not.toContain('vendors are simulated');
  });

  it('takes the ports given: each stand-in reports listening on its own', async () => {
    const [vendorPort, stripePort] = [await freePort(), await freePort()];
    const { code, output } = await runStart({
      VENDOR_STANDIN_PORT: String(vendorPort),
      STRIPE_STANDIN_PORT: String(stripePort),
      // Stops the worker and the producer at start (exit 78), and with them the launcher.
      WORKFLOWS_MODULE: '/nonexistent/revos-workflows.js',
      PORT: '0',
      HEALTH_PORT: '0',
    });
    expect(output).toMatch(new RegExp(`"url":"http://127\\.0\\.0\\.1:${vendorPort}","msg":"vendors are simulated`));
    expect(output).toMatch(new RegExp(`"url":"http://127\\.0\\.0\\.1:${stripePort}","msg":"payments are simulated`));
    expect(code).toBe(78);
  }, 60_000);

  it('accepts a multi-host DATABASE_URL (a failover pair), which WHATWG\'s URL parser refuses', async () => {
    const closed = await freePort();
    const { code, output } = await runStart({
      DATABASE_URL: `postgres://postgres@127.0.0.1:5432,127.0.0.1:${closed}/revos?target_session_attrs=read-write`,
      VENDOR_STANDIN_PORT: '0',
      STRIPE_STANDIN_PORT: '0',
      POSTMARK_STANDIN_PORT: '0',
      WORKFLOWS_MODULE: '/nonexistent/revos-workflows.js',
      PORT: '0',
      HEALTH_PORT: '0',
    });
    expect(output).not.toContain('Invalid URL');
    expect(output).not.toContain('DATABASE_URL:');
    // The stand-ins came up, so the launcher got past its "does PostgreSQL answer" check; the apps then stop (78).
    expect(output).toContain('vendors are simulated');
    expect(code).toBe(78);
  }, 60_000);
});

/**
 * Runs Stoplight Prism (`@stoplight/prism-cli`, a dev dependency) on an OpenAPI description, as a
 * process of its own: `mock` answers from the description's examples and refuses requests that break
 * it (422); `proxy` forwards to an upstream (a stand-in) and, with `--errors`, turns any request or answer
 * that breaks the description into a 500 naming the violation. So a vendor's own description checks
 * both what our adapters send and what the stand-in plays back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort, REPO_ROOT } from './processes.js';

const PRISM_CLI = createRequire(import.meta.url).resolve('@stoplight/prism-cli/dist/index.js');

export interface PrismOptions {
  /** Path of the OpenAPI document. */
  document: string;
  mode: 'mock' | 'proxy';
  /** `proxy` only: where valid requests are forwarded. */
  upstream?: string;
  /**
   * `--errors`: answer 500 for any violation, the answers' included. The mock refuses a bad request
   * (422, 401) either way; leave this off for a mock whose own examples break the description (Twilio's
   * list examples carry relative `*_page_uri` where it declares `format: uri`).
   */
  errors: boolean;
}

export interface PrismServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Everything Prism printed (its validation log names each violation). */
  output: string[];
  stop(): Promise<void>;
}

export async function startPrism(options: PrismOptions, readyTimeoutMs = 45_000): Promise<PrismServer> {
  if (options.mode === 'proxy' && !options.upstream) throw new Error('startPrism: proxy mode needs upstream');
  const port = await freePort();
  const args = [PRISM_CLI, options.mode, options.document, ...(options.upstream ? [options.upstream] : []), '--port', String(port), '--host', '127.0.0.1', ...(options.errors ? ['--errors'] : [])];
  // SCARF_ANALYTICS: Prism's dependency would report the install otherwise (its script does not run under npm 11 anyway).
  const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, SCARF_ANALYTICS: 'false', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prism not listening in ${readyTimeoutMs} ms:\n${output.join('')}`)), readyTimeoutMs);
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString('utf8'));
      if (/Prism is listening on/.test(output.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`prism exited before it listened:\n${output.join('')}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

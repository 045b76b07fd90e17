#!/usr/bin/env node
// `revos`: the producer's operator CLI. Runs the built dist/cli.js when the app was built, else the
// TypeScript source through tsx (the workspace's @revos/source condition). Exit code passed through.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** tsx resolved from this file, so `revos` works from any working directory. */
function tsxLoader() {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

const args = existsSync(dist)
  ? [dist, ...process.argv.slice(2)]
  : ['--conditions=@revos/source', '--import', tsxLoader(), source, ...process.argv.slice(2)];
const child = spawn(process.execPath, args, { stdio: 'inherit' });

// Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent to this wrapper alone is passed on.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => {
  console.error(`revos: cannot start node: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));

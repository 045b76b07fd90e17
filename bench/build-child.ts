/**
 * Bundles worker-child.ts and the @revos/* sources it uses into one plain-JS file
 * (third-party packages stay external, loaded from node_modules as in production),
 * so the worker child runs on bare `node`: no tsx loader. That loader runs on its
 * own thread with its own V8 heap (about +35 MB RSS) and transpiles on the fly, which
 * would distort both the RSS and the CPU profile. A source map lets
 * top-functions.mjs report original file:line.
 *
 * esbuild is the one tsx itself uses, so it is present wherever `npm run bench` can run.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const BUILD_DIR = fileURLToPath(new URL('./.build/', import.meta.url));

export async function buildWorkerChild(): Promise<string> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const outfile = `${BUILD_DIR}worker-child.mjs`;
  await build({
    entryPoints: [fileURLToPath(new URL('./worker-child.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@revos/source'],
    sourcemap: 'linked',
    // Keep function names as written: the CPU profile is read by name.
    keepNames: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'external-third-party',
        setup(b) {
          // Our workspaces are bundled from source; every other bare import is loaded from node_modules.
          b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@revos/') ? undefined : { path: args.path, external: true }));
        },
      },
    ],
  });
  return outfile;
}

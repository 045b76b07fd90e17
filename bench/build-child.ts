/**
 * Bundles worker-child.ts and the @revos/* sources it uses into one plain-JS file
 * (third-party packages stay external, loaded from node_modules as in production),
 * so the worker child runs on bare `node`: no tsx loader. That loader runs on its
 * own thread with its own V8 heap (about +35 MB RSS) and transpiles on the fly, which
 * would distort both the RSS and the CPU profile. A source map lets
 * top-functions.mjs report original file:line.
 *
 * A baseline build (`--baseline=<git ref>`) bundles the same worker-child.ts with the
 * @revos/* packages as they are at that ref (extracted with `git archive`), so a change
 * to the runtime is measured before and after in the same run, by the same harness.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export const BUILD_DIR = fileURLToPath(new URL('./.build/', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The packages/ tree of `ref`, extracted once per commit under .build/; returns its path. */
function extractPackages(ref: string): { dir: string; commit: string } {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = `${BUILD_DIR}baseline-${commit.slice(0, 12)}/`;
  if (!existsSync(`${dir}packages`)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${commit} packages | tar -x -C "${dir}"`], { cwd: ROOT });
  }
  return { dir, commit };
}

/** @revos/<name> → that tree's packages/<name>/src entry (what the `@revos/source` condition names). */
function packagesFrom(dir: string): Plugin {
  const entries = new Map<string, string>();
  for (const name of readdirSync(join(dir, 'packages'))) {
    const pkgFile = join(dir, 'packages', name, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name: string; exports?: { '.'?: { '@revos/source'?: string } } };
    const source = pkg.exports?.['.']?.['@revos/source'];
    if (source) entries.set(pkg.name, join(dir, 'packages', name, source));
  }
  return {
    name: 'baseline-packages',
    setup(b) {
      b.onResolve({ filter: /^@revos\// }, (args) => {
        const path = entries.get(args.path);
        return path ? { path } : undefined;
      });
    },
  };
}

/** Builds the worker child; with `baselineRef`, against that ref's @revos packages. Returns the bundle and the commit. */
export async function buildWorkerChild(baselineRef?: string): Promise<{ file: string; commit: string | null }> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const baseline = baselineRef ? extractPackages(baselineRef) : undefined;
  const outfile = baseline ? `${baseline.dir}worker-child.mjs` : `${BUILD_DIR}worker-child.mjs`;
  await build({
    entryPoints: [fileURLToPath(new URL('./worker-child.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@revos/source'],
    sourcemap: 'linked',
    // No keepNames: it wraps every closure the runtime makes in a `__name(fn, ...)` call
    // (Object.defineProperty), which the production build (tsc) does not pay: 0.7% of the
    // worker's CPU in a profile. Without minifying, esbuild keeps names anyway, except where two
    // bundled modules' names collide (then `name2`); profiles map lines through the source map.
    logLevel: 'warning',
    plugins: [
      ...(baseline ? [packagesFrom(baseline.dir)] : []),
      {
        name: 'external-third-party',
        setup(b) {
          // Our workspaces are bundled from source; every other bare import is loaded from node_modules.
          b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@revos/') ? undefined : { path: args.path, external: true }));
        },
      },
    ],
  });
  return { file: outfile, commit: baseline?.commit ?? null };
}

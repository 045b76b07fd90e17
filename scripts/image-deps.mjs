#!/usr/bin/env node
// What the production image's node_modules may hold: the packages the image's workspaces need at run
// time, read from package-lock.json (dependencies, optional dependencies and required peers, never
// devDependencies or optional peers). `npm ci --omit=dev` alone still installs an optional peer that
// is a dev tool elsewhere in the tree (typescript, 30 MB, through valibot's optional peer).
//   node scripts/image-deps.mjs check [dir]   list dir/node_modules; exit 1 on anything not needed
//   node scripts/image-deps.mjs prune [dir]   delete what is not needed (the Dockerfile's runtime stage)
// dir defaults to the current directory and must hold package-lock.json and node_modules.
import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** The workspaces the image runs: the worker, the producer (API and CLI) and db's migrate-cli. */
export const IMAGE_WORKSPACES = ['apps/worker', 'apps/producer', 'packages/db'];

/** Lockfile paths (`node_modules/x`, `apps/worker`, ...) of every package the image's workspaces need. */
export function neededPackages(lock) {
  const packages = lock.packages;
  // Node's lookup: the nearest node_modules/name from the requiring package up to the root.
  const locate = (from, name) => {
    for (let dir = from; ; ) {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (!dir) return undefined;
      const cut = dir.lastIndexOf('node_modules/');
      dir = cut <= 0 ? '' : dir.slice(0, cut - 1);
    }
  };
  const needed = new Set();
  const visit = (path) => {
    if (needed.has(path)) return;
    needed.add(path);
    const entry = packages[path];
    if (entry.link) return visit(entry.resolved);
    const optionalPeers = entry.peerDependenciesMeta ?? {};
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !optionalPeers[n]?.optional),
    ];
    for (const name of names) {
      const found = locate(path, name);
      if (found) visit(found);
      else if (!entry.optionalDependencies?.[name]) throw new Error(`${path} needs ${name}, which the lockfile does not hold`);
    }
  };
  for (const workspace of IMAGE_WORKSPACES) visit(workspace);
  // A workspace is installed as a link (node_modules/@revos/worker → apps/worker): keep the link too.
  for (const [path, entry] of Object.entries(packages)) if (entry.link && needed.has(entry.resolved)) needed.add(path);
  return needed;
}

/**
 * Lockfile-style paths of everything installed under dir/node_modules, nested ones included; a
 * workspace's own node_modules is listed under the workspace's path, as the lockfile does.
 */
function installed(dir, base = 'node_modules', out = []) {
  if (!existsSync(join(dir, base))) return out;
  for (const name of readdirSync(join(dir, base))) {
    if (name.startsWith('.')) continue;
    const names = name.startsWith('@') ? readdirSync(join(dir, base, name)).map((n) => `${name}/${n}`) : [name];
    for (const n of names) {
      const path = `${base}/${n}`;
      out.push(path);
      if (lstatSync(join(dir, path)).isSymbolicLink()) installed(dir, `${relative(resolve(dir), realpathSync(join(dir, path)))}/node_modules`, out);
      else installed(dir, `${path}/node_modules`, out);
    }
  }
  return out;
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  const [mode, dir = '.'] = process.argv.slice(2);
  if (mode !== 'check' && mode !== 'prune') throw new Error('usage: image-deps.mjs check|prune [dir]');
  const needed = neededPackages(JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')));
  const present = installed(dir);
  const extra = present.filter((p) => !needed.has(p));
  if (mode === 'prune') {
    for (const path of extra) rmSync(join(dir, path), { recursive: true, force: true });
    console.log(`image-deps: removed ${extra.length} package(s) the image does not need${extra.length ? `: ${extra.join(', ')}` : ''}`);
  } else {
    console.log(`image-deps: ${present.length} installed:\n  ${present.join('\n  ')}`);
    if (extra.length > 0) {
      console.error(`image-deps: ${extra.length} not needed by ${IMAGE_WORKSPACES.join(', ')}:\n  ${extra.join('\n  ')}`);
      process.exit(1);
    }
  }
}

#!/usr/bin/env node
// Boundary lint, run by `npm test` and CI. Keeps the rules of DESIGN.md/STYLE.md true:
// - a package is used only through its exports (no deep imports, no relative paths into another package);
// - every @revos/* import is declared in the importing package's package.json;
// - packages depend only on layers above them, apps never on each other (hence no cycles);
// - @revos/client depends on no other @revos package (it ships alone), and anyone may use it;
// - examples (a deployment's own code) may use any package or app, and are never dependencies;
// - only files named env.ts read process.env.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const LAYERS = ['@revos/envelope', '@revos/db', '@revos/runtime', '@revos/workflows'];
const APPS = ['@revos/producer', '@revos/worker'];
const LEAVES = ['@revos/client'];
const problems = [];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(path);
  }
  return out;
}

const workspaces = ['packages', 'apps', 'examples'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(root, group, name))
    .filter((dir) => statSync(join(dir, 'package.json'), { throwIfNoEntry: false })),
);
// bench/ is a workspace without src/: its sources sit at its top; it may use test/support (the stand-ins)
// through @revos/test, and every package it imports must be declared.
const BENCH = join(root, 'bench');
workspaces.push(BENCH);
const sourcesOf = (dir) => (dir === BENCH ? dir : join(dir, 'src'));

for (const dir of workspaces) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }));
  const isApp = dir.includes(`${join(root, 'apps')}`);
  // bench/, like an example, may use any package or app (and the test support), and is never a dependency.
  const isExample = dir.includes(`${join(root, 'examples')}`) || dir === BENCH;
  const myLayer = LAYERS.indexOf(pkg.name);

  for (const dep of declared) {
    if (!dep.startsWith('@revos/')) continue;
    if (LEAVES.includes(pkg.name)) problems.push(`${pkg.name} depends on ${dep}: it must ship alone`);
    if (LEAVES.includes(dep) || (dir === BENCH && dep === '@revos/test')) continue;
    if (APPS.includes(dep)) {
      if (!isExample) problems.push(`${pkg.name} depends on ${dep}: apps are never dependencies`);
      continue;
    }
    const depLayer = LAYERS.indexOf(dep);
    if (depLayer === -1) problems.push(`${pkg.name} depends on ${dep}: not a workspace package`);
    else if (!isApp && !isExample && depLayer >= myLayer) problems.push(`${pkg.name} depends on ${dep}, a layer below or beside it`);
  }

  for (const file of walk(sourcesOf(dir))) {
    const rel = relative(root, file);
    const text = readFileSync(file, 'utf8');
    if (/process\.env\b/.test(text) && !/(^|\/)env\.ts$/.test(file) && !file.endsWith('.test.ts')) {
      problems.push(`${rel}: reads process.env; only env.ts may`);
    }
    for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)) {
      const spec = match[1];
      if (spec.startsWith('@revos/')) {
        const [, , sub] = spec.split('/');
        const name = spec.split('/').slice(0, 2).join('/');
        if (sub !== undefined) problems.push(`${rel}: deep import ${spec}; use ${name}`);
        if (!declared.has(name) && name !== pkg.name) problems.push(`${rel}: imports ${name}, not in package.json`);
      } else if (spec.startsWith('.')) {
        const target = resolve(join(file, '..'), spec);
        const testSupport = declared.has('@revos/test') && target.startsWith(join(root, 'test', 'support') + '/');
        if (!target.startsWith(dir + '/') && !testSupport) problems.push(`${rel}: relative import ${spec} leaves its package`);
      } else if (dir === BENCH && !spec.startsWith('node:')) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!declared.has(name)) problems.push(`${rel}: imports ${name}, not in package.json`);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`lint: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`lint: ${workspaces.length} workspaces clean`);

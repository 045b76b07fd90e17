#!/usr/bin/env node
// Boundary lint, run by `npm test` and CI. Keeps the rules of DESIGN.md/STYLE.md true:
// - a package is used only through its exports (no deep imports past its `exports` entries, no relative paths into another package);
// - every package a workspace imports is declared in its own package.json, and every dependency it
//   declares is imported (or listed in USED_WITHOUT_IMPORT with the reason): the lockfile, and so the
//   production image, holds exactly what the code uses;
// - packages depend only on layers above them, apps never on each other (hence no cycles);
// - @revos/client depends on no other @revos package (it ships alone), and anyone may use it;
// - examples (a deployment's own code), the test suite and the root's scripts may use any package or
//   app, and are never dependencies;
// - only files named env.ts read process.env (tests may still hand `...process.env` to a child process;
//   the root's scripts and configs, launchers of the environment, are exempt).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const LAYERS = ['@revos/settings', '@revos/envelope', '@revos/db', '@revos/runtime', '@revos/workflows'];
const APPS = ['@revos/producer', '@revos/worker'];
const LEAVES = ['@revos/client'];
/** Declared dependencies that no file imports, and why they are declared anyway. */
const USED_WITHOUT_IMPORT = {
  '@types/node': 'type declarations tsc loads through compilerOptions.types',
  typescript: 'the tsc command of every typecheck and build',
  turbo: 'the task runner of npm run build/typecheck',
  tsx: 'the TypeScript loader of npm start, bench and the scripts',
  '@redocly/cli': 'the redocly command the OpenAPI lint test runs (test/producer/producer.openapi-lint.test.ts)',
  '@stoplight/prism-cli': 'a CLI the tests spawn as its own process (test/support/prism-runner.ts)',
};
const BUILTINS = new Set(builtinModules);
const problems = [];

/**
 * The workspaces, each linted over its whole folder. Folders in GROUPS hold one workspace each; TOOLING
 * are the suites' and tools' workspaces at a fixed path, which may use any package or app.
 */
const GROUPS = ['packages', 'apps', 'examples'];
const TOOLING = ['test', 'bench'];
const workspaces = [
  ...GROUPS.flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name))),
  ...TOOLING.map((name) => join(root, name)),
]
  .filter((dir) => statSync(join(dir, 'package.json'), { throwIfNoEntry: false }))
  .map((dir) => ({ dir, sources: [dir] }));
// The root package owns the repository's own tooling: scripts/ and the vitest config.
workspaces.push({ dir: root, sources: [join(root, 'scripts'), join(root, 'vitest.config.ts')], isRoot: true });
/** Workspaces whose package.json has `exports`: reached only through them. */
const packages = workspaces
  .map(({ dir }) => ({ dir, ...JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => p.exports !== undefined && p.dir !== root);

function walk(path, out = []) {
  if (!statSync(path).isDirectory()) {
    if (/\.(ts|mts|mjs|js)$/.test(path)) out.push(path);
    return out;
  }
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    walk(join(path, name), out);
  }
  return out;
}

/** Module specifiers of static imports/re-exports (a statement at a line's start) and dynamic import(). */
function importsOf(text) {
  const statements = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;
  return [...text.matchAll(statements)].map((m) => m[1] ?? m[2] ?? m[3]);
}
// Entry points each package declares in `exports` (`@revos/workflows/manifests`): importing one is not a deep import.
const exported = new Set(
  packages.flatMap((pkg) => Object.keys(pkg.exports).map((entry) => (entry === '.' ? pkg.name : `${pkg.name}/${entry.replace(/^\.\//, '')}`))),
);

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageOf = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

for (const { dir, sources, isRoot } of workspaces) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }));
  const imported = new Set();
  const isApp = dir.startsWith(join(root, 'apps') + '/');
  const mayUseAny = isRoot || dir.startsWith(join(root, 'examples') + '/') || TOOLING.some((name) => dir === join(root, name));
  const myLayer = LAYERS.indexOf(pkg.name);

  for (const dep of declared) {
    if (!dep.startsWith('@revos/')) continue;
    if (LEAVES.includes(pkg.name)) problems.push(`${pkg.name} depends on ${dep}: it must ship alone`);
    if (LEAVES.includes(dep)) continue;
    if (APPS.includes(dep)) {
      if (!mayUseAny) problems.push(`${pkg.name} depends on ${dep}: apps are never dependencies`);
      continue;
    }
    const depLayer = LAYERS.indexOf(dep);
    if (depLayer === -1) problems.push(`${pkg.name} depends on ${dep}: not a workspace package`);
    else if (!isApp && !mayUseAny && depLayer >= myLayer) problems.push(`${pkg.name} depends on ${dep}, a layer below or beside it`);
  }

  const files = sources.filter((s) => statSync(s, { throwIfNoEntry: false })).flatMap((s) => walk(s));
  for (const file of files) {
    const rel = relative(root, file);
    const text = readFileSync(file, 'utf8');
    // Handing the whole environment to a child process is not reading a setting; naming a variable is.
    // The root's launchers and configs exist to read the environment, so the rule is the product's and the tests'.
    const isTestCode = dir === join(root, 'test') || file.endsWith('.test.ts');
    const readsEnv = isTestCode ? /process\.env\s*(?:\.|\[)/ : /process\.env\b/;
    if (!isRoot && readsEnv.test(text) && !/(^|\/)env\.ts$/.test(file)) {
      problems.push(`${rel}: reads process.env; only env.ts may`);
    }
    for (const spec of importsOf(text)) {
      if (spec.startsWith('.')) {
        // Into a package with exports, a relative path bypasses them; root tooling and examples have none.
        const target = resolve(join(file, '..'), spec);
        const owner = packages.filter((w) => target.startsWith(w.dir + '/')).sort((a, b) => b.dir.length - a.dir.length)[0];
        if (owner && owner.dir !== dir) problems.push(`${rel}: relative import ${spec} leaves its package; import ${owner.name}`);
        continue;
      }
      if (spec.startsWith('node:') || BUILTINS.has(spec)) continue;
      const name = packageOf(spec);
      imported.add(name);
      if (name.startsWith('@revos/') && spec !== name && !exported.has(spec)) problems.push(`${rel}: deep import ${spec}; use ${name}`);
      if (!declared.has(name) && name !== pkg.name) problems.push(`${rel}: imports ${name}, not in ${relative(root, join(dir, 'package.json'))}`);
    }
  }

  for (const dep of declared) {
    if (!imported.has(dep) && !(dep in USED_WITHOUT_IMPORT)) problems.push(`${pkg.name} declares ${dep}, which none of its files imports`);
  }
}

if (problems.length > 0) {
  console.error(`lint: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`lint: ${workspaces.length} workspaces clean`);

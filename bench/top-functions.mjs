#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile: the top functions by self time (file:line, mapped
 * through the bundle's source map to the original TypeScript when there is one),
 * then self time by package. Usage:
 *
 *   node bench/top-functions.mjs [profile.cpuprofile] [--top=25]
 *
 * Without a file it reads the newest .cpuprofile in bench/results/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
let file = args.find((a) => !a.startsWith('--'));
if (!file) {
  const newest = readdirSync(RESULTS)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(RESULTS, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!newest) {
    console.error('top-functions: no .cpuprofile in bench/results/ (run bench/profile.sh first)');
    process.exit(1);
  }
  file = newest;
}
const profile = JSON.parse(readFileSync(file, 'utf8'));

// Self time per node: a sample lasts until the next one (as Chrome DevTools counts it).
const selfUs = new Map();
const { samples = [], timeDeltas = [] } = profile;
let t = profile.startTime;
const stamps = timeDeltas.map((d) => (t += d));
for (let i = 0; i < samples.length; i++) {
  const duration = (i + 1 < stamps.length ? stamps[i + 1] : profile.endTime) - stamps[i];
  selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, duration));
}

const maps = new Map();
function sourceMapFor(url) {
  if (!maps.has(url)) {
    let map = null;
    try {
      const path = fileURLToPath(url);
      if (existsSync(`${path}.map`)) map = { sm: new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))), base: pathToFileURL(`${path}.map`) };
    } catch {
      map = null;
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

const display = (path) => (path.startsWith(ROOT) ? relative(ROOT, path) : path);

/** file:line of a call frame, in the original source when a source map says so. */
function locate(frame) {
  const { url, lineNumber, columnNumber } = frame;
  if (!url) return { where: '', path: '' };
  if (!url.startsWith('file:')) return { where: `${url}:${lineNumber + 1}`, path: url };
  // Only our bundle's map: packages in node_modules ship maps that point at sources they do not ship.
  const map = url.includes('/node_modules/') ? null : sourceMapFor(url);
  if (map && lineNumber >= 0) {
    const entry = map.sm.findEntry(lineNumber, columnNumber);
    if (entry && entry.originalSource) {
      const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : fileURLToPath(new URL(entry.originalSource, map.base));
      return { where: `${display(source)}:${entry.originalLine + 1}`, path: resolve(source) };
    }
  }
  const path = fileURLToPath(url);
  return { where: `${display(path)}:${lineNumber + 1}`, path };
}

function category(name, path) {
  if (!path && ['(idle)', '(program)', '(garbage collector)', '(root)'].includes(name)) return name;
  if (!path) return 'native (V8/C++ builtins, no script)';
  if (path.startsWith('node:internal/deps/undici')) return 'undici (node:internal fetch)';
  if (path.startsWith('node:')) return 'node internals (JS)';
  if (path.startsWith('wasm:')) return 'wasm (undici llhttp)';
  const nm = path.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const parts = path.slice(nm + 14).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const rel = relative(ROOT, path);
  const ws = /^packages\/([^/]+)\//.exec(rel);
  if (ws) return `@revos/${ws[1]}`;
  return rel.split('/')[0] || rel;
}

const parentOf = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

const categoryOf = new Map();
for (const node of profile.nodes) categoryOf.set(node.id, category(node.callFrame.functionName || '(anonymous)', locate(node.callFrame).path));
const RUNTIME = /^(node internals|native|wasm|undici|\(program\)|\(garbage collector\))/;
/** The nearest frame up the stack that belongs to a package: who asked for the native/node work. */
function chargedTo(id) {
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const cat = categoryOf.get(at);
    if (!RUNTIME.test(cat) && cat !== '(root)') return cat;
  }
  return categoryOf.get(id);
}
const byCaller = new Map();

/** Our source files (packages/, bench/), by node id: the innermost one up the stack is charged. */
const ourFileOf = new Map();
for (const node of profile.nodes) {
  const rel = relative(ROOT, locate(node.callFrame).path || '/');
  if (/^(packages|apps|bench)\//.test(rel)) ourFileOf.set(node.id, rel);
}
function chargedToOurFile(id) {
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const f = ourFileOf.get(at);
    if (f) return f;
  }
  return '(not under our code: queue loop, sockets, timers)';
}
const byOurFile = new Map();

const byFunction = new Map();
const byCategory = new Map();
let total = 0;
let idle = 0;
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  total += us;
  const name = node.callFrame.functionName || '(anonymous)';
  if (name === '(idle)') idle += us;
  const { where, path } = locate(node.callFrame);
  const key = `${name}\u0000${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const cat = category(name, path);
  byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
  if (name !== '(idle)') {
    const caller = cat === '(garbage collector)' || cat === '(program)' ? cat : chargedTo(node.id);
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + us);
    const ours = cat === '(garbage collector)' || cat === '(program)' ? cat : chargedToOurFile(node.id);
    byOurFile.set(ours, (byOurFile.get(ours) ?? 0) + us);
  }
}


const busy = total - idle;
const ms = (us) => (us / 1000).toFixed(1).padStart(9);
const pct = (us, of) => `${((100 * us) / of).toFixed(1).padStart(5)}%`;
console.log(`${display(resolve(file))}`);
console.log(`sampled ${(total / 1e6).toFixed(2)} s: busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (waiting on Redis, PostgreSQL, the vendor)\n`);
console.log(`top ${top} functions by self time (% of busy time)`);
console.log(`${'self ms'.padStart(9)} ${'busy'.padStart(6)}  function  (file:line)`);
for (const [key, us] of [...byFunction].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  const [name, where] = key.split('\u0000');
  console.log(`${ms(us)} ${pct(us, busy)}  ${name}${where ? `  (${where})` : ''}`);
}
console.log(`\nself time by package (% of busy time)`);
for (const [cat, us] of [...byCategory].filter(([c]) => c !== '(idle)').sort((a, b) => b[1] - a[1])) {
  console.log(`${ms(us)} ${pct(us, busy)}  ${cat}`);
}
console.log(`\nself time charged to the nearest package frame up the stack (node/native work counted for its caller)`);
for (const [cat, us] of [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${ms(us)} ${pct(us, busy)}  ${cat}`);
}
console.log(`\nself time charged to the innermost file of ours up the stack (what each of our files costs, its callees included)`);
for (const [f, us] of [...byOurFile].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`${ms(us)} ${pct(us, busy)}  ${f}`);
}

#!/usr/bin/env node
// The structure drawing, run by `npm run lint` and so by `npm test`.
// For every workspace's src/, it reads the relative imports between files and draws the folders as floors:
// a folder sits above every folder it imports. It fails on
// - an import cycle between files (a module graph must be a tree of floors, not a knot), and
// - an import that points up: one folder importing another that (directly or through others) imports it
//   back, i.e. a cycle between folders even where the files themselves do not form one.
// `node scripts/structure.mjs --draw` prints the floors of each workspace; without it only problems print.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const draw = process.argv.includes('--draw');
const WORKSPACE_GROUPS = ['packages', 'apps'];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

const problems = [];

for (const group of WORKSPACE_GROUPS) {
  for (const name of readdirSync(join(root, group))) {
    const src = join(root, group, name, 'src');
    if (existsSync(src)) checkWorkspace(`${group}/${name}`, src);
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`structure: ${problem}`);
  process.exit(1);
}

function checkWorkspace(label, src) {
  const files = listSources(src);
  /** file (relative to src) -> files it imports (relative to src) */
  const edges = new Map();
  for (const file of files) {
    const text = readFileSync(join(src, file), 'utf8');
    const targets = new Set();
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2];
      const target = resolveSource(src, file, spec);
      if (target !== undefined) targets.add(target);
    }
    edges.set(file, targets);
  }

  for (const cycle of stronglyConnected(edges)) {
    problems.push(`${label}: import cycle between files: ${cycle.join(' -> ')}`);
  }

  // Folders: a file directly in src/ is its own room; a file deeper belongs to its first folder.
  const roomOf = (file) => (file.includes('/') ? `${file.split('/')[0]}/` : file);
  const roomEdges = new Map();
  const importCount = new Map();
  for (const [file, targets] of edges) {
    const from = roomOf(file);
    if (!roomEdges.has(from)) roomEdges.set(from, new Set());
    for (const target of targets) {
      const to = roomOf(target);
      if (to === from) continue;
      roomEdges.get(from).add(to);
      const key = `${from}\u0000${to}`;
      importCount.set(key, (importCount.get(key) ?? 0) + 1);
    }
  }
  const roomCycles = stronglyConnected(roomEdges);
  for (const cycle of roomCycles) {
    const members = new Set(cycle);
    const pointing = [...importCount.keys()]
      .map((key) => key.split('\u0000'))
      .filter(([from, to]) => members.has(from) && members.has(to))
      .map(([from, to]) => `${from} -> ${to} (${importCount.get(`${from}\u0000${to}`)} imports: ${filesImporting(edges, from, to, roomOf).join(', ')})`);
    problems.push(`${label}: folders import each other, so one of these points up: ${pointing.join('; ')}`);
  }

  if (draw) drawFloors(label, roomEdges, importCount, roomCycles.length === 0);
}

function filesImporting(edges, fromRoom, toRoom, roomOf) {
  const found = [];
  for (const [file, targets] of edges) {
    if (roomOf(file) !== fromRoom) continue;
    for (const target of targets) if (roomOf(target) === toRoom) found.push(`${file} -> ${target}`);
  }
  return found.slice(0, 4);
}

/** Longest-path layering: floor 0 imports nothing of its workspace, floor n imports something on n-1. */
function drawFloors(label, roomEdges, importCount, acyclic) {
  const total = [...importCount.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${label}/src  (${roomEdges.size} rooms, ${total} imports between rooms${acyclic ? ', none pointing up' : ''})`);
  if (!acyclic) return;
  const floor = new Map();
  const floorOf = (room) => {
    if (floor.has(room)) return floor.get(room);
    const below = [...(roomEdges.get(room) ?? [])].map(floorOf);
    const value = below.length === 0 ? 0 : Math.max(...below) + 1;
    floor.set(room, value);
    return value;
  };
  for (const room of roomEdges.keys()) floorOf(room);
  const top = Math.max(0, ...floor.values());
  for (let level = top; level >= 0; level -= 1) {
    const rooms = [...floor].filter(([, f]) => f === level).map(([room]) => room).sort();
    console.log(`  floor ${String(level).padStart(2)}: ${rooms.join('  ')}`);
  }
}

function listSources(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    const rel = prefix ? `${prefix}/${entry}` : entry;
    if (statSync(full).isDirectory()) out.push(...listSources(full, rel));
    // Tests may reach any floor of their workspace: they are not part of its structure.
    else if (/\.(ts|tsx|mts)$/.test(entry) && !/\.(d|test)\.ts$/.test(entry)) out.push(rel);
  }
  return out;
}

/** `./x.js` in TypeScript's NodeNext style names `./x.ts` (or `./x/index.ts`). */
function resolveSource(src, file, spec) {
  const base = join(dirname(join(src, file)), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')];
  for (const candidate of candidates) {
    if (existsSync(candidate) && statSync(candidate).isFile()) {
      const rel = relative(src, candidate);
      return rel.startsWith('..') ? undefined : rel.split('\\').join('/');
    }
  }
  return undefined;
}

/** Tarjan's strongly connected components; returns only the knots (more than one node, or a self-import). */
function stronglyConnected(graph) {
  let index = 0;
  const indices = new Map();
  const lowlink = new Map();
  const onStack = new Set();
  const stack = [];
  const knots = [];
  const visit = (node) => {
    indices.set(node, index);
    lowlink.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        lowlink.set(node, Math.min(lowlink.get(node), lowlink.get(next)));
      } else if (onStack.has(next)) {
        lowlink.set(node, Math.min(lowlink.get(node), indices.get(next)));
      }
    }
    if (lowlink.get(node) === indices.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfImport = component.length === 1 && (graph.get(node) ?? new Set()).has(node);
      if (component.length > 1 || selfImport) knots.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return knots;
}

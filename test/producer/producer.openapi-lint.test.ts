/**
 * The OpenAPI document as a tool no one here wrote reads it: Redocly CLI's `lint` with the repository's
 * redocly.yaml (the recommended rules) must find no error, and no warning but the ones redocly.yaml
 * justifies. The check the configuration turns off (oneOf branches mutually exclusive) is made here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildOpenApiDocument, createProducerCatalog, type OpenApiDocument } from '@revos/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.js';

const REDOCLY_CLI = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

/** The warnings redocly.yaml accepts, by rule and place; anything else fails. */
const JUSTIFIED_WARNINGS = [
  'operation-4xx-response #/paths/~1v1~1openapi.json/get/responses',
  'operation-4xx-response #/paths/~1docs/get/responses',
  'operation-4xx-response #/paths/~1healthz/get/responses',
];

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

let dir: string;
let doc: OpenApiDocument;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'revos-openapi-'));
  doc = { ...buildOpenApiDocument(createProducerCatalog()), servers: [{ url: 'http://127.0.0.1:3000' }] };
  file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc, null, 2));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lint(path: string): Promise<{ code: number; problems: LintProblem[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [REDOCLY_CLI, 'lint', path, '--config', join(REPO_ROOT, 'redocly.yaml'), '--format', 'json', '--max-problems', '10000'],
      // No telemetry and no update check: the suite runs offline.
      { cwd: REPO_ROOT, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        try {
          resolve({ code, problems: (JSON.parse(stdout) as { problems: LintProblem[] }).problems, stderr });
        } catch {
          reject(new Error(`redocly lint printed no JSON (exit ${code}):\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

describe('redocly lint (recommended, redocly.yaml)', () => {
  it('finds no error and no warning redocly.yaml does not justify', async () => {
    const { code, problems, stderr } = await lint(file);
    const found = problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer ?? ''}`);
    expect(problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`), stderr).toEqual([]);
    expect(found.filter((w) => !JUSTIFIED_WARNINGS.includes(w))).toEqual([]);
    expect(code).toBe(0);
  });

  it('would fail the build on a broken document (the check can fail)', async () => {
    const broken = { ...doc, paths: { ...doc.paths, '/v1/runs': { post: { responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Nowhere' } } } } } } } } };
    const path = join(dir, 'broken.json');
    writeFileSync(path, JSON.stringify(broken));
    const { code, problems } = await lint(path);
    expect(code).not.toBe(0);
    expect(problems.filter((p) => p.severity === 'error').map((p) => p.ruleId)).toEqual(expect.arrayContaining(['no-unresolved-refs']));
  });
});

describe('the run submission branches (what no-illogical-composition-keywords would check)', () => {
  it('are mutually exclusive by meta.workflow_name, and meta.workflow_version within one workflow', () => {
    const schemas = doc.components.schemas;
    const branches = (schemas.SubmitRun!.oneOf as { $ref: string }[]).map((r) => schemas[r.$ref.replace('#/components/schemas/', '')]!);
    expect(branches.length).toBeGreaterThan(10);
    const keys = branches.map((b) => {
      const meta = (b.properties as { meta: { properties: { workflow_name: { const: string }; workflow_version: { const: string } }; required?: string[] } }).meta;
      expect((b.required as string[]).includes('meta')).toBe(true);
      return { name: meta.properties.workflow_name.const, version: meta.properties.workflow_version.const, versionRequired: meta.required?.includes('workflow_version') ?? false };
    });
    expect(new Set(keys.map((k) => `${k.name}@${k.version}`)).size).toBe(keys.length);
    // Two versions of one name overlap unless all but (at most) one require workflow_version.
    for (const name of new Set(keys.map((k) => k.name))) {
      const versions = keys.filter((k) => k.name === name);
      expect(versions.filter((k) => !k.versionRequired).length, name).toBeLessThanOrEqual(1);
    }
    // workflow_name is required of every submission (SubmitMeta), so no body matches two names.
    expect(schemas.SubmitMeta!.required).toContain('workflow_name');
  });
});

/**
 * The docs page: the OpenAPI document rendered on the server as one self-contained HTML page
 * (inline CSS, no script, nothing fetched from elsewhere), so it works on a closed network.
 */
import { escapeHtml } from '../html.js';
import type { OpenApiDocument } from './document.js';

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, unknown>[];
  parameters?: { name: string; in: string; required: boolean; description: string }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
}

const CSS = `
body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:#1f2933; background:#f5f7fa; }
header { padding:14px 28px; background:#1f2933; color:#fff; } header a { color:#9fc2ff; }
main { max-width:1100px; margin:0 auto; padding:16px 28px 60px; }
h2 { margin:32px 0 10px; font-size:18px; } h3 { margin:0 0 4px; font-size:15px; font-weight:600; }
section.op, section.schema { background:#fff; border:1px solid #e4e7eb; border-radius:8px; padding:12px 16px; margin:10px 0; }
.method { display:inline-block; min-width:48px; text-align:center; padding:1px 6px; border-radius:4px; font:600 12px ui-monospace,monospace; color:#fff; background:#2f6fde; }
.method.post { background:#1f8a4c; }
code, pre { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px; }
pre { background:#f0f4f8; border:1px solid #e4e7eb; border-radius:6px; padding:8px 10px; overflow:auto; max-height:480px; }
table { border-collapse:collapse; width:100%; margin:6px 0; } th, td { text-align:left; padding:4px 8px; border-bottom:1px solid #e4e7eb; vertical-align:top; }
th { color:#616e7c; font-size:12px; text-transform:uppercase; }
.muted { color:#616e7c; } nav ul { columns:2; padding-left:18px; }
`;

const schemaName = (ref: string | undefined) => (ref ? ref.replace('#/components/schemas/', '') : undefined);
const anchor = (name: string) => `schema-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
const schemaLink = (ref: string | undefined) => {
  const name = schemaName(ref);
  return name ? `<a href="#${anchor(name)}"><code>${escapeHtml(name)}</code></a>` : '<span class="muted">any</span>';
};

function renderOperation(method: string, path: string, op: Operation): string {
  const auth = op.security.length === 0 ? 'none (public)' : op.security.map((s) => Object.keys(s).join(' + ')).join(' or ');
  const params = op.parameters?.length
    ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>meaning</th></tr>${op.parameters
        .map((p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${escapeHtml(p.description)}</td></tr>`)
        .join('')}</table>`
    : '';
  const body = op.requestBody
    ? Object.entries(op.requestBody.content)
        .map(([type, c]) => `<p>Request body (<code>${escapeHtml(type)}</code>): ${schemaLink(c.schema.$ref)}</p>`)
        .join('')
    : '';
  const responses = `<table><tr><th>status</th><th>meaning</th><th>body</th></tr>${Object.entries(op.responses)
    .map(([status, r]) => {
      const content = r.content ? Object.entries(r.content).map(([type, c]) => `<code>${escapeHtml(type)}</code> ${c.schema.$ref ? schemaLink(c.schema.$ref) : ''}`).join(', ') : '';
      return `<tr><td><code>${escapeHtml(status)}</code></td><td>${escapeHtml(r.description)}</td><td>${content}</td></tr>`;
    })
    .join('')}</table>`;
  return `<section class="op" id="op-${escapeHtml(op.operationId)}"><h3><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary)}</p>${op.description ? `<p class="muted">${escapeHtml(op.description)}</p>` : ''}<p>Authentication: ${escapeHtml(auth)}</p>${params}${body}${responses}</section>`;
}

/** Renders the whole document: operations by tag, then every schema (workflow payloads included). */
export function renderDocsPage(document: OpenApiDocument): string {
  const info = document.info as { title: string; version: string; description: string };
  const tags = (document.tags as { name: string; description: string }[]) ?? [];
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op: op as Operation })),
  );
  const sections = tags
    .map((tag) => {
      const ops = operations.filter((o) => o.op.tags.includes(tag.name));
      return `<h2 id="tag-${escapeHtml(tag.name)}">${escapeHtml(tag.name)}</h2><p class="muted">${escapeHtml(tag.description)}</p>${ops.map((o) => renderOperation(o.method, o.path, o.op)).join('\n')}`;
    })
    .join('\n');
  const schemas = Object.entries(document.components.schemas)
    .map(([name, schema]) => `<section class="schema" id="${anchor(name)}"><h3><code>${escapeHtml(name)}</code></h3><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></section>`)
    .join('\n');
  const nav = `<nav><ul>${operations.map((o) => `<li><a href="#op-${escapeHtml(o.op.operationId)}">${escapeHtml(o.method.toUpperCase())} ${escapeHtml(o.path)}</a></li>`).join('')}</ul></nav>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(info.title)} ${escapeHtml(info.version)}</title><style>${CSS}</style></head><body>
<header><strong>${escapeHtml(info.title)}</strong> · version ${escapeHtml(info.version)} · OpenAPI ${escapeHtml(document.openapi)} · <a href="/v1/openapi.json">/v1/openapi.json</a></header>
<main><p>${escapeHtml(info.description)}</p>${nav}${sections}<h2 id="schemas">Schemas</h2><p class="muted">Payload.&lt;workflow&gt;.&lt;version&gt; is what intake checks a workflow's payload against.</p>${schemas}</main></body></html>`;
}

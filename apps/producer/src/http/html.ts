/** The few HTML helpers of the operator pages: escaping and one page shell with plain CSS. */

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const CSS = `
:root { --fg:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --accent:#2f6fde; --ok:#1f8a4c; --bad:#c62828; --warn:#b26a00; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; gap:20px; align-items:center; padding:10px 24px; background:#1f2933; color:#fff; }
header a { color:#cbd2d9; text-decoration:none; } header a:hover { color:#fff; }
header strong { font-size:15px; margin-right:12px; }
header form { margin-left:auto; display:flex; gap:6px; }
main { max-width:1180px; margin:0 auto; padding:20px 24px 48px; }
h1 { font-size:20px; margin:4px 0 14px; } h2 { font-size:15px; margin:26px 0 8px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
section.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 18px; margin-bottom:16px; }
table { border-collapse:collapse; width:100%; background:#fff; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
code, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px; }
a { color:var(--accent); }
pre { background:#f0f4f8; border:1px solid var(--line); border-radius:6px; padding:10px 12px; overflow:auto; font-size:12.5px; margin:0; }
.status { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; background:#e4e7eb; }
.status.ok, .status.noop { background:#e3f6ea; color:var(--ok); }
.status.failed, .status.blocked { background:#fdecea; color:var(--bad); }
.status.retry, .status.queued { background:#fff4e0; color:var(--warn); }
.breach { color:var(--bad); font-weight:600; }
.muted { color:var(--muted); }
.tree td.wf { white-space:nowrap; }
.tree .indent { display:inline-block; color:#9aa5b1; font-family:ui-monospace,monospace; }
tr.current { background:#eef4ff; }
dl.fields { display:grid; grid-template-columns:170px 1fr; gap:4px 16px; margin:0; }
dl.fields dt { color:var(--muted); } dl.fields dd { margin:0; word-break:break-all; }
input[name=id] { width:360px; } input, button { font:inherit; padding:5px 9px; border:1px solid #9aa5b1; border-radius:5px; }
button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
.notice { background:#fff8e1; border:1px solid #ffe08a; border-radius:6px; padding:8px 12px; margin:8px 0 14px; }
form.login { max-width:340px; margin:12vh auto; background:#fff; border:1px solid var(--line); border-radius:10px; padding:26px; display:grid; gap:12px; }
form.login label { display:grid; gap:4px; color:var(--muted); }
.error { color:var(--bad); margin:0; }
`;

export function page(title: string, body: string, options: { nav?: boolean } = {}): string {
  const nav =
    options.nav === false
      ? ''
      : `<header><strong>RevOS operations</strong><a href="/admin/queues">Queues</a><a href="/admin/explorer">Run explorer</a><a href="/admin/tasks">Tasks</a>
<form method="get" action="/admin/explorer"><input name="id" placeholder="run id, idempotency key, job id, correlation id…" aria-label="find a run"><button type="submit">Find</button></form>
<a href="/admin/logout">Log out</a></header>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · RevOS</title><style>${CSS}</style></head><body>${nav}<main>${body}</main></body></html>`;
}

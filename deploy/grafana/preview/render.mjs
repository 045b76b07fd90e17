/**
 * Draws the fleet dashboard without Grafana: reads deploy/grafana/dashboards/revos-fleet.json, runs each
 * panel's PromQL against a Prometheus' HTTP API (query_range) and lays the panels out as the dashboard's
 * grid does (title, series with their legends, the panel's unit), in an HTML page that headless Debian
 * chromium screenshots. It is a preview of the panels and their queries, not Grafana's rendering.
 *
 * A panel whose query returns nothing fails the render: that is a bug in the dashboard or the metrics.
 *
 *   node deploy/grafana/preview/render.mjs <prometheus-url> [out.png] [minutes]   (any Prometheus)
 *   npm run dashboard:preview                                                     (a fleet of its own: fleet.ts)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const DASHBOARD = fileURLToPath(new URL('../dashboards/revos-fleet.json', import.meta.url));
const COLORS = ['#73bf69', '#f2cc0c', '#5794f2', '#ff780a', '#f2495c', '#b877d9', '#8ab8ff', '#96d98d', '#ffb357', '#ca95e5', '#fade2a', '#ff9830'];
const ROW_PX = 30;
const WIDTH = 1600;

/** Grafana's template variables, as Grafana would resolve them for this range and step. */
function expand(expr, stepSeconds) {
  const rateInterval = `${Math.max(4 * 2, stepSeconds * 4)}s`;
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$__interval', `${stepSeconds}s`);
}

async function queryRange(prometheus, expr, start, end, step) {
  const url = new URL('/api/v1/query_range', prometheus);
  url.search = new URLSearchParams({ query: expr, start: String(start / 1000), end: String(end / 1000), step: String(step) }).toString();
  const res = await fetch(url);
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`query failed (${body.errorType}: ${body.error}): ${expr}`);
  return body.data.result;
}

function legend(format, metric) {
  if (!format) return Object.entries(metric).map(([k, v]) => `${k}="${v}"`).join(', ') || 'value';
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => metric[name] ?? '');
}

/** A value in the panel's unit, as the dashboard declares it. */
function formatValue(value, unit) {
  if (!Number.isFinite(value)) return String(value);
  const short = (v) => {
    const a = Math.abs(v);
    if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
    if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
    if (a === 0) return '0';
    if (a < 0.01) return v.toExponential(1);
    return Number.isInteger(v) ? String(v) : v.toFixed(a < 1 ? 2 : 1);
  };
  switch (unit) {
    case 'ops':
      return `${short(value)} ops/s`;
    case 'percentunit':
      return `${(value * 100).toFixed(value === 0 || value >= 0.1 ? 0 : 1)}%`;
    case 's':
      if (value === 0) return '0 s';
      if (Math.abs(value) < 1) return `${short(value * 1000)} ms`;
      if (Math.abs(value) < 120) return `${short(value)} s`;
      return `${short(value / 60)} min`;
    default:
      return short(value);
  }
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function clock(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

/**
 * The y scale: linear from 0, or logarithmic (fieldConfig custom.scaleDistribution, type log) from the
 * smallest positive value, with a grid line at each power of the base.
 */
function yScale(values, log) {
  if (log) {
    const positive = values.filter((v) => v > 0);
    const lo = Math.floor(Math.log(Math.min(...positive, 1)) / Math.log(log));
    const hi = Math.max(lo + 1, Math.ceil(Math.log(Math.max(...positive, 1)) / Math.log(log)));
    const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => log ** (lo + i));
    return { ticks, fraction: (v) => (v > 0 ? (Math.log(v) / Math.log(log) - lo) / (hi - lo) : NaN) };
  }
  const min = Math.min(...values, 0);
  let max = Math.max(...values, 0);
  if (max === min) max = min + 1;
  return { ticks: [0, 0.25, 0.5, 0.75, 1].map((f) => min + f * (max - min)), fraction: (v) => (v - min) / (max - min) };
}

function timeseriesSvg(series, unit, start, end, width, height, { bare = false, log = 0 } = {}) {
  const pad = bare ? { left: 0, right: 0, top: 2, bottom: 0 } : { left: 64, right: 10, top: 8, bottom: 20 };
  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite);
  const scale = yScale(values, log);
  const x = (t) => pad.left + ((t - start) / (end - start)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - scale.fraction(v)) * (height - pad.top - pad.bottom);
  const grid = scale.ticks.map((v) => {
    return `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${pad.left - 6}" y="${y(v) + 4}" class="axis" text-anchor="end">${escape(formatValue(v, unit))}</text>`;
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const t = start + f * (end - start);
    return `<text x="${x(t)}" y="${height - 4}" class="axis" text-anchor="${f === 0 ? 'start' : f === 1 ? 'end' : 'middle'}">${clock(t)}</text>`;
  });
  const lines = series.map((s) => {
    // A gap in the data (no sample at a step) breaks the line, as Grafana draws it.
    const segments = [];
    let current = [];
    let last = -Infinity;
    for (const [t, v] of s.points) {
      if (!Number.isFinite(y(v))) continue;
      if (t - last > s.step * 1500 && current.length) (segments.push(current), (current = []));
      current.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      last = t;
    }
    if (current.length) segments.push(current);
    return segments
      .map((points) => (points.length === 1 ? `<circle cx="${points[0].split(',')[0]}" cy="${points[0].split(',')[1]}" r="2" fill="${s.color}"/>` : `<polyline points="${points.join(' ')}" stroke="${s.color}" class="line"/>`))
      .join('');
  });
  const axes = bare ? '' : grid.join('') + ticks.join('');
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${axes}${lines.join('')}</svg>`;
}

const CALC = {
  lastNotNull: { label: 'Last *', of: (values) => values.at(-1) },
  last: { label: 'Last', of: (values) => values.at(-1) },
  max: { label: 'Max', of: (values) => Math.max(...values) },
  min: { label: 'Min', of: (values) => Math.min(...values) },
  mean: { label: 'Mean', of: (values) => values.reduce((a, b) => a + b, 0) / values.length },
};

const finite = (s) => s.points.map(([, v]) => v).filter(Number.isFinite);

/** The legend as the panel declares it (options.legend: a table with its calcs, here on the right). */
function legendHtml(series, unit, legend) {
  const calcs = (legend?.calcs ?? []).filter((c) => CALC[c]);
  const head = `<tr><th></th>${calcs.map((c) => `<th>${CALC[c].label}</th>`).join('')}</tr>`;
  const rows = series.map((s) => {
    const values = finite(s);
    const cells = calcs.map((c) => `<td>${values.length ? escape(formatValue(CALC[c].of(values), unit)) : ''}</td>`).join('');
    return `<tr><td class="name"><i style="background:${s.color}"></i>${escape(s.name)}</td>${cells}</tr>`;
  });
  return `<table class="legend">${head}${rows.join('')}</table>`;
}

/** Grafana's absolute thresholds: the colour of the highest step at or under the value. */
function thresholdColor(fieldConfig, value) {
  const steps = fieldConfig?.defaults?.thresholds?.steps ?? [];
  const named = { green: '#37872d', orange: '#fa6400', red: '#c4162a', yellow: '#e0b400' };
  let color = steps[0]?.color ?? 'green';
  for (const step of steps) if (step.value !== null && value >= step.value) color = step.color;
  return named[color] ?? color;
}

function panelHtml(panel, series, range) {
  const { x, y, w, h } = panel.gridPos;
  const style = `grid-column:${x + 1} / span ${w};grid-row:${y + 1} / span ${h}`;
  if (panel.type === 'row') return `<div class="row" style="${style}">${escape(panel.title)}</div>`;
  const unit = panel.fieldConfig?.defaults?.unit;
  const width = Math.round((WIDTH - 16) * (w / 24)) - 24;
  const height = h * ROW_PX - 38;
  let body;
  if (series.length === 0) body = `<div class="nodata">No data</div>`;
  else if (panel.type === 'stat') {
    const [first] = series;
    const last = finite(first).at(-1) ?? NaN;
    const spark = timeseriesSvg([{ ...first, color: 'rgba(255,255,255,0.35)' }], unit, range.start, range.end, width, 60, { bare: true });
    body = `<div class="statbox" style="background:${thresholdColor(panel.fieldConfig, last)};height:${height}px"><div class="stat">${escape(formatValue(last, unit))}</div><div class="statlabel">${escape(first.name)}</div>${spark}</div>`;
  } else {
    const right = panel.options?.legend?.placement === 'right';
    const chartWidth = right ? Math.round(width * 0.56) : width;
    const scale = panel.fieldConfig?.defaults?.custom?.scaleDistribution;
    const log = scale?.type === 'log' ? (scale.log ?? 10) : 0;
    body = `<div class="${right ? 'split' : ''}">${timeseriesSvg(series, unit, range.start, range.end, chartWidth, height, { log })}<div class="legendbox" style="max-height:${height}px">${legendHtml(series, unit, panel.options?.legend)}</div></div>`;
  }
  return `<div class="panel" style="${style}"><div class="title">${escape(panel.title)}</div>${body}</div>`;
}

const CSS = `
body{margin:0;background:#111217;color:#ccccdc;font:13px Inter,Helvetica,Arial,sans-serif;width:${WIDTH}px}
header{padding:12px 16px 4px}header h1{font-size:18px;margin:0;color:#fff}header p{margin:4px 0 0;color:#8e8ea0;font-size:12px}
main{display:grid;grid-template-columns:repeat(24,1fr);grid-auto-rows:${ROW_PX}px;gap:0 8px;padding:8px}
.panel{background:#181b1f;border:1px solid #2c3235;border-radius:3px;margin-bottom:8px;padding:6px 8px;overflow:hidden}
.title{font-weight:600;color:#e0e0ec;margin-bottom:4px}.row{font-size:15px;font-weight:600;color:#fff;align-self:center}
.grid{stroke:#2c3235;stroke-width:1}.axis{fill:#8e8ea0;font-size:10px}.line{fill:none;stroke-width:1.6}
.split{display:flex;gap:8px}.legendbox{flex:1;overflow:hidden}
table.legend{border-collapse:collapse;font-size:11px;width:100%}table.legend th{color:#6e9fff;font-weight:500;text-align:right;padding:0 4px}
table.legend td{text-align:right;padding:0 4px;white-space:nowrap}table.legend td.name{text-align:left;max-width:260px;overflow:hidden;text-overflow:ellipsis}
table.legend i{display:inline-block;width:12px;height:3px;margin-right:5px;vertical-align:middle}
.statbox{border-radius:2px;color:#fff;display:flex;flex-direction:column;justify-content:flex-end;overflow:hidden}
.stat{font-size:56px;font-weight:500;text-align:center;flex:1;display:flex;align-items:center;justify-content:center}.statlabel{text-align:center;margin-bottom:4px}
.nodata{color:#f2495c;font-size:16px;text-align:center;margin-top:60px}`;

/**
 * Queries every panel for [start, end] (ms) and writes the page to htmlOut and its screenshot to out.
 * Throws naming each panel whose query returned no series.
 */
export async function render({ prometheus, start, end, out, htmlOut }) {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8'));
  const step = Math.max(2, Math.round((end - start) / 1000 / 120));
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const empty = [];
  const html = [];
  for (const panel of panels) {
    const series = [];
    for (const target of panel.targets ?? []) {
      for (const result of await queryRange(prometheus, expand(target.expr, step), start, end, step)) {
        series.push({
          name: legend(target.legendFormat, result.metric),
          points: result.values.map(([t, v]) => [t * 1000, Number(v)]),
          step,
          color: COLORS[series.length % COLORS.length],
        });
      }
    }
    if (panel.type !== 'row' && series.length === 0) empty.push(panel.title);
    html.push(panelHtml(panel, series, { start, end }));
  }
  const page = `<!doctype html><html><head><meta charset="utf-8"><style>${CSS}</style></head><body>
<header><h1>${escape(dashboard.title)}</h1><p>Preview by deploy/grafana/preview/render.mjs: the panels and PromQL of deploy/grafana/dashboards/revos-fleet.json, queried from a live Prometheus (${clock(start)}–${clock(end)} UTC, step ${step} s). Not Grafana.</p></header>
<main>${html.join('\n')}</main></body></html>`;
  if (htmlOut) await writeFile(htmlOut, page);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage({ viewport: { width: WIDTH, height: 900 } });
    await tab.setContent(page);
    await tab.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
  if (empty.length) throw new Error(`panels without data (a bug in the dashboard or the metrics): ${empty.join('; ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [prometheus, out = 'dashboard.png', minutes = '15'] = process.argv.slice(2);
  if (!prometheus) {
    console.error('usage: node deploy/grafana/preview/render.mjs <prometheus-url> [out.png] [minutes]');
    process.exit(2);
  }
  const end = Date.now();
  await render({ prometheus, start: end - Number(minutes) * 60_000, end, out });
  console.log(`wrote ${out}`);
}

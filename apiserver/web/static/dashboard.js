// The dashboard: what supervisors read at a glance, drawn as inline SVG
// from the breakdown report (the same figures as the API and the monthly
// report): volume by category and by channel per day, open cases by
// status, SLA breaches per day and the satisfaction trend per week.
import { t, tOr, h, clear, problemText, lists } from './common.js';

const svgNS = 'http://www.w3.org/2000/svg';
const palette = ['#1f5fa8', '#e07b39', '#3a9d5d', '#b3261e', '#7b5ea7', '#8c8c8c', '#c9a227', '#2aa1b3'];

function s(tag, attrs, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// days lists the dates (YYYY-MM-DD) from `from` for n days.
function days(from, n) {
  const out = [];
  const d = new Date(from + 'T00:00:00Z');
  for (let i = 0; i < n; i++) {
    out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

function legend(keys, label) {
  return h('div', { class: 'legend' }, keys.map((k, i) => h('span', {}, h('i', { class: 'c' + (i % palette.length) }), label(k))));
}

// stacked draws stacked columns: x labels, series keys, value(x, key).
function stacked(xs, keys, value, label) {
  const W = 640, H = 240, L = 40, B = 26, T = 10;
  const totals = xs.map((x) => keys.reduce((sum, k) => sum + value(x, k), 0));
  const max = Math.max(1, ...totals);
  const bw = (W - L) / xs.length;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  axis(svg, max, W, H, L, B, T);
  xs.forEach((x, i) => {
    let y = H - B;
    keys.forEach((k, j) => {
      const v = value(x, k);
      if (!v) return;
      const hgt = (v / max) * (H - B - T);
      y -= hgt;
      svg.append(s('rect', { x: L + i * bw + 1, y, width: Math.max(1, bw - 2), height: hgt, fill: palette[j % palette.length] },
        s('title', {}, `${x} · ${label(k)}: ${v}`)));
    });
    if (xs.length <= 10 || i % Math.ceil(xs.length / 7) === 0) {
      svg.append(s('text', { x: L + i * bw + bw / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 13, fill: '#5d6875' }, x.slice(5)));
    }
  });
  return h('div', { class: 'chart' }, svg, legend(keys, label));
}

function axis(svg, max, W, H, L, B, T) {
  for (const f of [0, 0.5, 1]) {
    const y = H - B - f * (H - B - T);
    svg.append(s('line', { x1: L, x2: W, y1: y, y2: y, stroke: '#e4e8ec' }));
    svg.append(s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 13, fill: '#5d6875' }, fmt(max * f)));
  }
}

function fmt(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

// line draws one series with points; null values leave a gap.
function line(xs, values, max, label) {
  const W = 640, H = 220, L = 40, B = 26, T = 10;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  axis(svg, max, W, H, L, B, T);
  const step = xs.length > 1 ? (W - L - 40) / (xs.length - 1) : 0;
  // A missing value breaks the line: each run of values is one segment.
  const segments = [];
  let run = [];
  xs.forEach((x, i) => {
    const v = values[i];
    const px = L + 20 + i * step;
    if (xs.length <= 10 || i % Math.ceil(xs.length / 7) === 0) {
      svg.append(s('text', { x: px, y: H - 6, 'text-anchor': 'middle', 'font-size': 13, fill: '#5d6875' }, label(x)));
    }
    if (v === null || v === undefined) {
      if (run.length) segments.push(run);
      run = [];
      return;
    }
    const py = H - B - (v / max) * (H - B - T);
    run.push(px.toFixed(1) + ',' + py.toFixed(1));
    svg.append(s('circle', { cx: px, cy: py, r: 3, fill: palette[0] }, s('title', {}, `${x}: ${fmt(v)}`)));
  });
  if (run.length) segments.push(run);
  const d = segments.map((seg) => 'M' + seg.join('L')).join(' ');
  if (d) svg.prepend(s('path', { d, fill: 'none', stroke: palette[0], 'stroke-width': 2 }));
  return h('div', { class: 'chart' }, svg);
}

// bars draws horizontal bars, one per key.
function bars(items, label) {
  const W = 640, row = 32, L = 190;
  const max = Math.max(1, ...items.map((i) => i.value));
  const svg = s('svg', { viewBox: `0 0 ${W} ${Math.max(row, items.length * row)}`, role: 'img' });
  items.forEach((it, i) => {
    const w = (it.value / max) * (W - L - 40);
    svg.append(s('text', { x: L - 6, y: i * row + 21, 'text-anchor': 'end', 'font-size': 14, fill: '#1d232b' }, label(it.key)));
    svg.append(s('rect', { x: L, y: i * row + 5, width: Math.max(1, w), height: row - 10, fill: palette[i % palette.length], rx: 3 }));
    svg.append(s('text', { x: L + w + 6, y: i * row + 21, 'font-size': 14, fill: '#1d232b' }, it.value));
  });
  return h('div', { class: 'chart' }, svg);
}

function card(id, title, body) {
  return h('section', { class: 'card', id }, h('h2', {}, title), body);
}

export async function renderDashboard(main, call) {
  const params = new URLSearchParams(location.search);
  const span = ['7', '30', '90'].includes(params.get('days')) ? Number(params.get('days')) : 30;
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const today = new Date();
  const from = new Date(today.getTime() - (span - 1) * 86400000);
  const iso = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  const q = (by) => `/v1/reports/breakdown?by=${by}&from=${iso(from)}&to=${iso(new Date(today.getTime() + 86400000))}&tz=${encodeURIComponent(tz)}`;
  let cat, chan, status, daily, weekly, l;
  try {
    [cat, chan, status, daily, weekly, l] = await Promise.all([
      call('GET', q('day,category')), call('GET', q('day,channel')),
      call('GET', `/v1/reports/breakdown?by=status&tz=${encodeURIComponent(tz)}`),
      call('GET', q('day')), call('GET', q('week')), lists()]);
  } catch (err) {
    clear(main).append(h('section', { class: 'card' }, h('p', { class: 'form-error', id: 'page-error' }, problemText(err))));
    return;
  }
  const xs = days(iso(from), span);
  const cell = (groups, dim) => {
    const m = new Map();
    for (const g of groups) m.set(g.key.day + '|' + g.key[dim], g.count);
    return (x, k) => m.get(x + '|' + k) || 0;
  };
  const keysOf = (groups, dim) => [...new Set(groups.map((g) => g.key[dim]))].sort();
  const received = daily.groups.reduce((n, g) => n + g.count, 0);
  const breaches = daily.groups.reduce((n, g) => n + Math.round(g.breach_rate * g.count), 0);
  const openStatuses = l.statuses.filter((s) => s.open).map((s) => s.value);
  const open = status.groups.filter((g) => openStatuses.includes(g.key.status));
  const answers = weekly.groups.reduce((n, g) => n + g.survey_answers, 0);
  const points = weekly.groups.reduce((n, g) => n + (g.survey_average || 0) * g.survey_answers, 0);
  const byDay = new Map(daily.groups.map((g) => [g.key.day, g]));
  const weeks = weekly.groups.map((g) => g.key.week).sort();
  const byWeek = new Map(weekly.groups.map((g) => [g.key.week, g]));

  const range = h('div', { class: 'tabs' }, [7, 30, 90].map((n) => h('a', { href: '?days=' + n, class: 'badge' + (n === span ? ' ok' : '') }, t('dash.days', { n }))));
  clear(main).append(
    h('section', { class: 'card' }, h('h1', {}, t('dash.title')), h('p', { class: 'hint' }, t('dash.hint', { n: span, tz })), range),
    h('div', { class: 'kpis', id: 'kpis' },
      h('div', { class: 'kpi' }, t('dash.received'), h('b', { id: 'kpi-received' }, received)),
      h('div', { class: 'kpi' }, t('dash.open'), h('b', { id: 'kpi-open' }, open.reduce((n, g) => n + g.count, 0))),
      h('div', { class: 'kpi' }, t('dash.breaches'), h('b', { id: 'kpi-breaches' }, breaches)),
      h('div', { class: 'kpi' }, t('dash.satisfaction'), h('b', { id: 'kpi-satisfaction' }, answers ? (points / answers).toFixed(1) + ' / 5' : '—'))),
    h('div', { class: 'grid charts' },
      card('chart-category', t('dash.by_category'), stacked(xs, keysOf(cat.groups, 'category'), cell(cat.groups, 'category'), (k) => tOr('category.' + k, k))),
      card('chart-channel', t('dash.by_channel'), stacked(xs, keysOf(chan.groups, 'channel'), cell(chan.groups, 'channel'), (k) => tOr('channel.' + k, k))),
      card('chart-status', t('dash.by_status'), open.length ? bars(open.map((g) => ({ key: g.key.status, value: g.count })), (k) => tOr('status.' + k, k)) : h('p', { class: 'muted' }, t('list.empty'))),
      card('chart-breaches', t('dash.breaches_per_day'), line(xs, xs.map((x) => (byDay.has(x) ? Math.round(byDay.get(x).breach_rate * byDay.get(x).count) : 0)),
        Math.max(1, ...xs.map((x) => (byDay.has(x) ? Math.round(byDay.get(x).breach_rate * byDay.get(x).count) : 0))), (x) => x.slice(5))),
      card('chart-satisfaction', t('dash.satisfaction_trend'), weeks.length
        ? line(weeks, weeks.map((w) => byWeek.get(w).survey_average), 5, (w) => w.slice(5)) : h('p', { class: 'muted' }, t('list.empty')))));
}

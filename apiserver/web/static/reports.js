// The monthly accountability report (seed 004): per branch, team or
// handler, volume and its change, speed, severity mix, breaches, appeals,
// satisfaction and compensation, ranked by volume. The page prints cleanly
// (the browser's print to paper or PDF) and downloads the same as CSV.
import { t, tOr, h, clear, problemText, lists, values } from './common.js';

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 3600) return t('report.minutes', { n: Math.round(seconds / 60) });
  if (seconds < 2 * 86400) return t('report.hours', { n: (seconds / 3600).toFixed(1) });
  return t('report.days', { n: (seconds / 86400).toFixed(1) });
}

function thisMonth() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0');
}

export async function renderReports(main, call, token) {
  // Most severe first: the API lists severities lowest first.
  const severities = values((await lists()).severities).reverse();
  const params = new URLSearchParams(location.search);
  const month = /^\d{4}-\d{2}$/.test(params.get('month') || '') ? params.get('month') : thisMonth();
  const level = ['branch', 'team', 'handler'].includes(params.get('level')) ? params.get('level') : 'team';
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const query = `month=${month}&level=${level}&tz=${encodeURIComponent(tz)}`;
  const form = h('form', { id: 'report-form', class: 'filters', method: 'get', action: '/console/reports' },
    h('label', {}, t('report.month'), h('input', { type: 'month', name: 'month', value: month })),
    h('label', {}, t('report.level'), h('select', { name: 'level' },
      ['branch', 'team', 'handler'].map((l) => h('option', { value: l, selected: l === level }, t('report.level.' + l))))),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, t('report.show'))));
  let rep;
  try {
    rep = await call('GET', '/v1/reports/monthly?' + query);
  } catch (err) {
    clear(main).append(h('section', { class: 'card' }, h('h1', {}, t('report.title')), form, h('p', { class: 'form-error', id: 'page-error' }, problemText(err))));
    return;
  }
  const rows = rep.rows || [];
  const download = h('button', { type: 'button', id: 'csv', onclick: async () => {
    // The CSV needs the staff token, so it is fetched, then saved.
    const resp = await fetch('/v1/reports/monthly?' + query + '&format=csv', { headers: { Authorization: 'Bearer ' + token } });
    if (!resp.ok) return;
    const url = URL.createObjectURL(await resp.blob());
    const a = h('a', { href: url, download: `complaints-${month}-${level}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    URL.revokeObjectURL(url);
  } }, t('report.csv'));
  const total = rows.reduce((n, r) => n + r.count, 0);
  clear(main).append(
    h('section', { class: 'card no-print' }, h('h1', {}, t('report.title')), form,
      h('div', { class: 'actions' }, h('button', { type: 'button', id: 'print', onclick: () => window.print() }, t('report.print')), download)),
    h('section', { class: 'card report', id: 'report' },
      h('h2', {}, t('report.heading', { month, level: t('report.level.' + level) })),
      h('p', { class: 'hint' }, t('report.note', { n: total, tz })),
      rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'report-table' },
        h('thead', {}, h('tr', {}, ['report.rank', 'report.unit', 'report.count', 'report.change', 'report.ack', 'report.resolve',
          'report.severity', 'report.breaches', 'report.appeals', 'report.satisfaction', 'report.compensation'].map((k) => h('th', {}, t(k))))),
        h('tbody', {}, rows.map((r) => h('tr', { 'data-unit': r.unit },
          h('td', {}, r.rank), h('td', {}, r.unit || t('report.none')), h('td', { class: 'num' }, r.count),
          h('td', { class: 'num' }, r.change === null || r.change === undefined ? '—' : (r.change > 0 ? '+' : '') + Math.round(r.change * 100) + '%'),
          h('td', {}, duration(r.acknowledge_p50_s)), h('td', {}, duration(r.resolve_p50_s)),
          h('td', {}, severities.filter((s) => (r.severity || {})[s] > 0).map((s) => tOr('severity.' + s, s) + ' ' + r.severity[s]).join(' · ')),
          h('td', { class: 'num' }, r.breaches), h('td', { class: 'num' }, r.appeals),
          h('td', { class: 'num' }, r.survey_average === null || r.survey_average === undefined ? '—' : r.survey_average.toFixed(1)),
          h('td', { class: 'num' }, (r.compensation_minor / 100).toFixed(2))))))) : h('p', { class: 'muted' }, t('list.empty'))));
}

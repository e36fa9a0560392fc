// The staff console: sign-in with a staff token, the inbox views, case
// search, the case page with the decisions the case allows, and the
// dashboard. It is a client of the JSON API: every read and decision goes
// through the same routes, roles and workflow validators as any other
// client, and the page shows only what the API answers.
import { t, tOr, h, clear, api, showProblem, clearProblem, problemText, formValues, when, money, busy, statusBadge, lists, values, download } from './common.js';
import { renderDashboard } from './dashboard.js';
import { renderReports } from './reports.js';
import { renderIncidents, renderIncident } from './incidents.js';
import { renderCase } from './case.js';
import { mountBell } from './bell.js';

const page = document.body.dataset.page;
const main = document.getElementById('main');
const tokenKey = 'complaints.staffToken';

const session = { token: sessionStorage.getItem(tokenKey) || '', me: null, lists: null };

// call is api() with the signed-in staff token; a 401 sends the reader
// back to sign in.
async function call(method, path, body, opts = {}) {
  try {
    return await api(method, path, body, { ...opts, token: session.token });
  } catch (err) {
    if (err.status === 401 && page !== 'signin') signOut(true);
    throw err;
  }
}

// call.download saves a file the API serves to staff (a link cannot send
// the token).
call.download = (path, name) => download(path, name, { token: session.token });

function signOut(expired) {
  sessionStorage.removeItem(tokenKey);
  const next = location.pathname + location.search;
  location.assign('/console/signin?next=' + encodeURIComponent(next) + (expired ? '&expired=1' : ''));
}

start();

async function start() {
  if (page === 'signin') return renderSignIn();
  if (!session.token) return signOut(false);
  try {
    [session.me, session.lists] = await Promise.all([call('GET', '/v1/me'), lists({ token: session.token })]);
  } catch (err) {
    return fail(err);
  }
  const me = session.me;
  document.getElementById('who').textContent = t('nav.who', { id: me.id, role: tOr('role.' + me.role, me.role), team: me.team || '—' });
  const nav = document.getElementById('nav');
  nav.hidden = false;
  nav.querySelectorAll('a').forEach((a) => {
    if (a.dataset.nav === page) a.classList.add('active');
    if (a.dataset.minRole && !canReadReports()) a.hidden = true;
  });
  mountBell(document.getElementById('who'), call);
  const out = document.getElementById('signout');
  out.hidden = false;
  out.addEventListener('click', () => signOut(false));
  try {
    if (page === 'inbox') await renderInbox();
    if (page === 'search') await renderSearch();
    if (page === 'case') await renderCase(main, call, session.me, document.body.dataset.token);
    if (page === 'dashboard') await renderDashboard(main, call);
    if (page === 'reports') await renderReports(main, call, session.token);
    if (page === 'incidents') await renderIncidents(main, call);
    if (page === 'incident') await renderIncident(main, call, session.me, document.body.dataset.token);
  } catch (err) {
    fail(err);
  }
}

function canReadReports() {
  return ['supervisor', 'manager', 'director', 'admin', 'auditor'].includes(session.me.role);
}

function fail(err) {
  clear(main).append(h('section', { class: 'card' }, h('p', { class: 'form-error', id: 'page-error' }, problemText(err))));
}

// ---- sign-in

function renderSignIn() {
  const params = new URLSearchParams(location.search);
  const form = h('form', { id: 'signin-form', novalidate: true },
    h('div', { class: 'form-error', 'data-field': '_form', role: 'alert' }, params.get('expired') ? t('signin.expired') : ''),
    h('label', {}, t('signin.token'), h('textarea', { name: 'token', rows: 4, autocomplete: 'off', spellcheck: 'false' })),
    h('div', { class: 'field-error', 'data-field': 'token' }),
    h('p', { class: 'hint' }, t('signin.hint')),
    h('button', { type: 'submit', class: 'primary' }, t('signin.submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = form.elements.token.value.trim();
    if (!token) {
      form.querySelector('[data-field="token"]').textContent = t('signin.required');
      return;
    }
    await busy(form, async () => {
      try {
        await api('GET', '/v1/me', undefined, { token });
        sessionStorage.setItem(tokenKey, token);
        const next = params.get('next') || '';
        location.assign(next.startsWith('/console/') ? next : '/console/');
      } catch (err) {
        clearProblem(form);
        form.querySelector('[data-field~="_form"]').textContent = err.status === 401 ? t('signin.invalid') : problemText(err);
      }
    });
  });
  clear(main).append(h('section', { class: 'card narrow' }, h('h1', {}, t('signin.title')), form));
}

// ---- lists

function caseTable(cases, kind) {
  if (!cases.length) return h('p', { class: 'muted empty' }, t('list.empty'));
  const approvals = kind === 'approvals';
  const head = approvals
    ? ['list.case', 'list.subject', 'approval.amount', 'approval.remedies', 'approval.proposer', 'approval.needs', 'approval.due', 'list.resolve_due']
    : ['list.case', 'list.subject', 'list.category', 'list.severity', 'list.status', 'list.assignee', 'list.resolve_due'];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'cases', 'data-kind': kind },
    h('thead', {}, h('tr', {}, head.map((k) => h('th', {}, t(k))))),
    h('tbody', {}, cases.map((c) => {
      const link = h('a', { href: '/console/cases/' + c.id, class: 'case-link' }, c.case_number);
      const flags = [c.breached ? h('span', { class: 'badge bad' }, t('clock.breached')) : null,
        !c.breached && c.at_risk ? h('span', { class: 'badge warn' }, t('clock.at_risk')) : null];
      if (approvals) {
        const p = c.pending_approval || { remedies: [], approved_by: [] };
        return h('tr', { 'data-case': c.case_number },
          h('td', {}, link), h('td', {}, c.subject),
          h('td', { class: 'amount' }, p.refusal ? t('approval.refusal') : money(p.total, p.currency)),
          h('td', {}, p.remedies.map((r) => tOr('remedy.' + r.type, r.type)).join(', ')),
          h('td', {}, p.proposed_by, p.approved_by.length ? h('div', { class: 'hint' }, t('approval.approved_by', { who: p.approved_by.join(', ') })) : null),
          h('td', {}, tOr('role.' + p.min_role, p.min_role), p.approvers > 1 ? ' ×' + p.approvers : ''),
          h('td', {}, when(p.due_at)),
          h('td', {}, when(c.resolve_due_at), ' ', flags));
      }
      return h('tr', { 'data-case': c.case_number },
        h('td', {}, link, c.survey_score ? h('div', { class: 'hint' }, t('list.score', { score: c.survey_score })) : null),
        h('td', {}, c.subject),
        h('td', {}, tOr('category.' + c.category, c.category)),
        h('td', { class: 'sev-' + c.severity }, tOr('severity.' + c.severity, c.severity)),
        h('td', {}, statusBadge(c.status)),
        h('td', {}, c.assignee || h('span', { class: 'muted' }, t('list.unassigned'))),
        h('td', {}, when(c.resolve_due_at), ' ', flags));
    }))));
}

// The inbox views each role has, with the list query that fills them.
function inboxViews(me) {
  const team = me.team ? '&team=' + encodeURIComponent(me.team) : '';
  const handler = session.lists.roles.some((r) => r.value === me.role && r.level > 0);
  const views = [];
  if (handler) views.push({ id: 'mine', q: 'assignee=' + encodeURIComponent(me.id) + '&open=true&sort=priority' });
  if (handler || me.role === 'admin') views.push({ id: 'unassigned', q: 'unassigned=true&open=true&sort=priority' + team });
  views.push({ id: 'attention', q: 'attention=true&sort=priority' + (me.role === 'agent' ? team : '') });
  if (handler) views.push({ id: 'approvals', q: 'approvable=true&sort=priority' });
  if (canReadReports()) views.push({ id: 'low_scores', q: 'status=closed&survey_score_max=2' });
  return views;
}

async function renderInbox() {
  const views = inboxViews(session.me);
  const lists = await Promise.all(views.map((v) => call('GET', '/v1/complaints?limit=50&' + v.q)));
  const wanted = new URLSearchParams(location.search).get('view');
  let current = views.find((v) => v.id === wanted) ? wanted : (views.find((v, i) => v.id === 'approvals' && lists[i].complaints.length) || views[0]).id;
  const body = h('div', { id: 'inbox-body' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' }, views.map((v, i) => h('button', {
    type: 'button', role: 'tab', 'data-view': v.id, id: 'tab-' + v.id,
    onclick: () => { current = v.id; history.replaceState(null, '', '?view=' + v.id); show(); },
  }, t('inbox.' + v.id), h('span', { class: 'count' }, lists[i].complaints.length + (lists[i].next_cursor ? '+' : '')))));
  function show() {
    const i = views.findIndex((v) => v.id === current);
    tabs.querySelectorAll('button').forEach((b) => {
      b.classList.toggle('active', b.dataset.view === current);
      b.setAttribute('aria-selected', String(b.dataset.view === current));
    });
    clear(body).append(h('p', { class: 'hint' }, t('inbox.' + current + '_hint')), caseTable(lists[i].complaints, current));
  }
  clear(main).append(h('section', { class: 'card' }, h('h1', {}, t('inbox.title')), tabs, body));
  show();
}

// Search offers the API's list filters; the URL keeps them.
// The lists among them (status, category, severity, channel) are the API's.
const searchFilters = (l) => [
  { name: 'q', type: 'text' },
  { name: 'status', options: values(l.statuses), prefix: 'status.' },
  { name: 'category', options: values(l.categories), prefix: 'category.' },
  { name: 'severity', options: values(l.severities), prefix: 'severity.' },
  { name: 'channel', options: values(l.channels), prefix: 'channel.' },
  { name: 'assignee', type: 'text' },
  { name: 'team', type: 'text' },
  { name: 'region', type: 'text' },
  { name: 'breached', options: ['true', 'false'], prefix: 'yesno.' },
  { name: 'created_from', type: 'date' },
  { name: 'created_to', type: 'date' },
  { name: 'sort', options: ['created_at', 'priority'], prefix: 'sort.', noAny: true },
];

async function renderSearch() {
  const params = new URLSearchParams(location.search);
  const form = h('form', { id: 'search-form', class: 'filters', novalidate: true },
    searchFilters(session.lists).map((f) => h('div', {},
      h('label', {}, t('filter.' + f.name),
        f.options
          ? h('select', { name: f.name }, f.noAny ? null : h('option', { value: '' }, t('filter.any')),
            f.options.map((o) => h('option', { value: o, selected: params.get(f.name) === o }, tOr(f.prefix + o, o))))
          : h('input', { name: f.name, type: f.type, value: dateOnly(params.get(f.name) || '') })),
      h('div', { class: 'field-error', 'data-field': f.name }))),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, t('search.submit'))),
    h('div', { class: 'form-error span-all', 'data-field': '_form', role: 'alert' }));
  const results = h('div', { id: 'results' });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(formValues(form))) {
      q.set(k, k === 'created_from' || k === 'created_to' ? new Date(v + 'T00:00:00').toISOString() : v);
    }
    history.replaceState(null, '', '?' + q);
    load(q, false);
  });
  let cursor = null;
  const more = h('button', { type: 'button', id: 'more', hidden: true, onclick: () => load(new URLSearchParams(location.search), true) }, t('search.more'));
  let shown = [];
  async function load(q, append) {
    const qq = new URLSearchParams(q);
    if (append && cursor) qq.set('cursor', cursor);
    qq.set('limit', '50');
    try {
      const res = await call('GET', '/v1/complaints?' + qq);
      clearProblem(form);
      shown = append ? shown.concat(res.complaints) : res.complaints;
      cursor = res.next_cursor;
      clear(results).append(h('p', { class: 'hint' }, t('search.count', { n: shown.length })), caseTable(shown, 'search'));
      more.hidden = !cursor;
    } catch (err) {
      showProblem(form, err);
    }
  }
  clear(main).append(h('section', { class: 'card' }, h('h1', {}, t('search.title')), form), h('section', { class: 'card' }, results, more));
  await load(params, false);
}

function dateOnly(v) {
  return v ? v.slice(0, 10) : '';
}

// Systemic issues in the console: the incidents the detector opened, and
// one incident with its linked complaints, the updates sent to their
// customers, and what supervisors do with it: send an update, propose or
// decide one resolution for every case, close it.
import { t, tOr, h, clear, newKey, showProblem, formValues, when, money, toMinor, busy, toast, lists, values } from './common.js';

export async function renderIncidents(main, call) {
  const { incidents } = await call('GET', '/v1/incidents');
  clear(main).append(h('section', { class: 'card' }, h('h1', {}, t('incident.title')), h('p', { class: 'hint' }, t('incident.hint')),
    incidents.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'incidents' },
      h('thead', {}, h('tr', {}, ['incident.number', 'incident.about', 'list.status', 'incident.opened', 'incident.recent', 'incident.linked'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, incidents.map((i) => h('tr', { 'data-incident': i.number },
        h('td', {}, h('a', { href: '/console/incidents/' + i.id, class: 'incident-link' }, i.number)),
        h('td', {}, tOr('dimension.' + i.dimension, i.dimension), ': ', h('strong', {}, i.value)),
        h('td', {}, h('span', { class: 'badge ' + (i.status === 'open' ? 'warn' : 'ok') }, tOr('incident.status.' + i.status, i.status))),
        h('td', {}, when(i.opened_at)),
        h('td', { class: 'num' }, t('incident.vs_usual', { n: i.recent_count, usual: i.expected.toFixed(i.expected < 1 ? 2 : 1) })),
        h('td', { class: 'num' }, i.linked)))))) : h('p', { class: 'muted' }, t('incident.none'))));
}

export async function renderIncident(main, call, me, id) {
  const [view, l] = await Promise.all([call('GET', '/v1/incidents/' + encodeURIComponent(id)), lists()]);
  draw(main, call, me, view, l);
}

function draw(main, call, me, view, l) {
  const i = view.incident;
  const redraw = (next) => draw(main, call, me, next, l);
  // Supervisors and above act (the API's roles with level 2 and more).
  const canAct = l.roles.some((r) => r.value === me.role && r.level >= 2) && i.status === 'open';
  const side = [];
  if (canAct) {
    side.push(actionForm(call, i, 'updates', 'incident.send_update', [
      h('label', {}, t('incident.update_text'), h('textarea', { name: 'message', rows: 4, maxlength: 4000 })),
      h('div', { class: 'field-error', 'data-field': 'message' }),
      h('p', { class: 'hint' }, t('incident.update_hint', { n: i.linked })),
      h('button', { type: 'submit', class: 'primary', id: 'send-update' }, t('incident.send'))], (v) => ({ message: v.message || '' }), redraw, true));
    if (!i.resolution_status || i.resolution_status === 'rejected') side.push(resolutionForm(call, i, redraw, l));
    if (i.resolution_status === 'proposed') {
      side.push(actionForm(call, i, 'resolution/decision', 'incident.decide', [
        h('label', {}, t('approval.comment'), h('textarea', { name: 'comment', rows: 2 })),
        h('div', { class: 'field-error', 'data-field': 'comment decision' }),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary', value: 'approve', id: 'approve-resolution' }, t('approval.approve')),
          h('button', { type: 'submit', class: 'danger', value: 'reject' }, t('approval.reject')))],
      (v, ev) => ({ decision: ev.submitter ? ev.submitter.value : 'approve', comment: v.comment }), redraw, true));
    }
    side.push(actionForm(call, i, 'close', 'incident.close', [
      h('label', {}, t('incident.close_note'), h('textarea', { name: 'note', rows: 2 })),
      h('div', { class: 'field-error', 'data-field': 'note' }),
      h('button', { type: 'submit', class: 'danger' }, t('incident.close'))], (v) => ({ note: v.note || '' }), redraw, false));
  }
  const r = i.resolution;
  clear(main).append(
    h('section', { class: 'card', id: 'incident-head' },
      h('p', { class: 'muted' }, t('incident.number'), ' ', h('strong', { id: 'incident-number' }, i.number), ' · ', when(i.opened_at)),
      h('h1', {}, tOr('dimension.' + i.dimension, i.dimension), ': ', i.value),
      h('div', { class: 'actions' }, h('span', { class: 'badge ' + (i.status === 'open' ? 'warn' : 'ok'), id: 'incident-status' }, tOr('incident.status.' + i.status, i.status)),
        h('span', { class: 'badge' }, t('incident.vs_usual', { n: i.recent_count, usual: i.expected.toFixed(i.expected < 1 ? 2 : 1) })),
        i.resolution_status ? h('span', { class: 'badge' }, t('incident.resolution'), ': ', tOr('incident.resolution.' + i.resolution_status, i.resolution_status)) : null),
      i.close_note ? h('p', {}, i.close_note) : null),
    h('div', { class: 'case-grid' },
      h('div', {},
        r ? h('section', { class: 'card', id: 'resolution' }, h('h2', {}, t('incident.resolution')),
          h('p', {}, r.findings.cause_detail, ' — ', r.findings.summary),
          h('ul', {}, r.remedies.map((m) => h('li', {}, tOr('remedy.' + m.type, m.type), m.amount ? ' · ' + money(m.amount, m.currency) : ''))),
          h('p', { class: 'pre' }, r.message), h('p', { class: 'hint' }, t('incident.proposed_by', { who: r.proposed_by.id }))) : null,
        (i.resolution_result || []).length ? h('section', { class: 'card', id: 'resolution-result' }, h('h2', {}, t('incident.result')),
          h('ul', {}, i.resolution_result.map((x) => h('li', {}, x.case_number, ': ', tOr('incident.outcome.' + x.outcome, x.outcome), x.reason ? ' — ' + x.reason : '')))) : null,
        h('section', { class: 'card', id: 'updates' }, h('h2', {}, t('incident.updates'), h('span', { class: 'count' }, view.updates.length)),
          view.updates.length ? h('ul', { class: 'messages' }, view.updates.slice().reverse().map((u) => h('li', {},
            h('time', { class: 'muted' }, when(u.posted_at)), ' · ', u.posted_by, h('div', { class: 'body' }, u.message)))) : h('p', { class: 'muted' }, t('incident.no_updates'))),
        h('section', { class: 'card', id: 'linked' }, h('h2', {}, t('incident.cases'), h('span', { class: 'count' }, view.cases.length)),
          h('div', { class: 'table-wrap' }, h('table', {},
            h('thead', {}, h('tr', {}, ['list.case', 'list.subject', 'case.channel', 'list.status', 'incident.received'].map((k) => h('th', {}, t(k))))),
            h('tbody', {}, view.cases.map((c) => h('tr', {},
              h('td', {}, h('a', { href: '/console/cases/' + c.id }, c.case_number)), h('td', {}, c.subject),
              h('td', {}, tOr('channel.' + c.channel, c.channel)), h('td', {}, tOr('status.' + c.status, c.status)), h('td', {}, when(c.received_at))))))))),
      h('div', {}, h('section', { class: 'card', id: 'actions' }, h('h2', {}, t('action.title')),
        side.length ? side : h('p', { class: 'muted' }, t('incident.no_actions'))))));
}

function actionForm(call, inc, path, title, fields, build, redraw, open) {
  const key = newKey();
  const form = h('form', { novalidate: true, 'data-incident-action': path }, h('div', { class: 'form-error', 'data-field': '_form', role: 'alert' }), fields);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = build(formValues(form), ev);
    await busy(form, async () => {
      try {
        await call('POST', '/v1/incidents/' + inc.id + '/' + path, body, { idem: key });
        toast(t('case.saved'));
        redraw(await call('GET', '/v1/incidents/' + inc.id));
      } catch (err) {
        showProblem(form, err);
      }
    });
  });
  return h('details', { class: 'action', open }, h('summary', {}, t(title)), form);
}

function resolutionForm(call, inc, redraw, l) {
  const field = (name, label, input) => [h('label', {}, t(label), input), h('div', { class: 'field-error', 'data-field': name })];
  return actionForm(call, inc, 'resolution', 'incident.propose', [
    ...field('cause', 'findings.cause', h('input', { name: 'cause', maxlength: 100 })),
    ...field('cause_detail', 'findings.cause_detail', h('input', { name: 'cause_detail', maxlength: 200 })),
    ...field('responsibility', 'findings.responsibility', h('select', { name: 'responsibility' },
      values(l.responsibilities).map((o) => h('option', { value: o }, tOr('responsibility.' + o, o))))),
    ...field('responsible_unit', 'findings.responsible_unit', h('input', { name: 'responsible_unit', maxlength: 200 })),
    ...field('summary', 'findings.summary', h('textarea', { name: 'summary', rows: 2 })),
    h('div', { class: 'row' },
      h('label', {}, t('remedy.type'), h('select', { name: 'type' }, values(l.remedy_kinds)
        .map((o) => h('option', { value: o }, tOr('remedy.' + o, o))))),
      h('label', {}, t('remedy.amount'), h('input', { name: 'amount', inputmode: 'decimal', placeholder: '0.00' })),
      h('label', {}, t('remedy.currency'), h('input', { name: 'currency', value: 'CNY', maxlength: 3 }))),
    h('div', { class: 'field-error', 'data-field': 'remedies remedies[0] remedies[0].type remedies[0].amount remedies[0].currency' }),
    h('label', {}, h('input', { type: 'checkbox', name: 'apology', value: 'yes', checked: true }), t('incident.with_apology')),
    ...field('message', 'proposal.message', h('textarea', { name: 'message', rows: 3 })),
    h('p', { class: 'hint' }, t('incident.propose_hint')),
    h('button', { type: 'submit', class: 'primary' }, t('incident.propose'))], (v) => {
    const currency = (v.currency || '').toUpperCase();
    const remedies = [{ type: v.type, currency, ...(v.amount ? { amount: toMinor(v.amount, currency) } : {}) }];
    if (v.apology && v.type !== 'apology') remedies.push({ type: 'apology' });
    return { cause: v.cause || '', cause_detail: v.cause_detail || '', responsibility: v.responsibility, responsible_unit: v.responsible_unit || '',
      summary: v.summary || '', remedies, message: v.message || '' };
  }, redraw, false);
}

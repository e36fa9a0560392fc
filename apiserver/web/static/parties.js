// The people around a case on the console's case page (docs/parties.md):
// the parties panel with the hand-over, logging a call, and a
// supervisor's merge of the case into another. Each form shows the API's
// field errors beside the fields it names.
import { t, tOr, h, clear, newKey, showProblem, formValues, busy, toast } from './common.js';

const kinds = ['relative', 'friend', 'representative', 'lawyer', 'first_receiver', 'handler', 'decider'];
const inside = (k) => k === 'first_receiver' || k === 'handler' || k === 'decider';

// partiesCard is the parties panel, filled once the parties are read.
export function partiesCard(ctx, c) {
  const card = h('section', { class: 'card', id: 'parties' }, h('h2', {}, t('parties.title')));
  const draw = (v) => {
    clear(card).append(h('h2', {}, t('parties.title'), h('span', { class: 'count' }, v.parties.length + 1)));
    const row = (p) => h('li', { 'data-kind': p.kind },
      h('strong', {}, tOr('party.' + p.kind, p.kind)), ' · ', p.name || p.staff_id,
      p.relation ? ' (' + p.relation + ')' : '',
      p.authorised && p.kind !== 'customer' ? h('span', { class: 'badge' }, t('parties.authorised')) : null,
      p.phone ? h('span', { class: 'muted' }, ' ', p.phone) : null, p.email ? h('span', { class: 'muted' }, ' ', p.email) : null,
      p.kind !== 'customer' && c.live && !['closed', 'withdrawn', 'merged'].includes(c.status)
        ? [' ', h('button', { type: 'button', class: 'link', 'data-remove': p.id, onclick: () => send('DELETE', '/' + p.id) }, t('parties.remove'))] : null);
    card.append(h('ul', { class: 'parties' }, row(v.customer), v.parties.map(row)));
    if (v.handover) {
      const ho = v.handover;
      card.append(h('p', { id: 'handover' }, t('parties.handover', {
        receiver: ho.receiver, handler: ho.handler || '—',
        took: ho.took_seconds === undefined ? '—' : duration(ho.took_seconds) })));
    }
    if (v.merged_from.length) {
      card.append(h('p', { id: 'merged-from' }, t('parties.merged_from'), ' ',
        v.merged_from.map((m, i) => [i ? ', ' : '', h('a', { href: '/console/cases/' + m.id }, m.case_number)])));
    }
    if (v.merged_into) {
      card.append(h('p', { id: 'merged-into' }, t('parties.merged_into'), ' ', h('a', { href: '/console/cases/' + v.merged_into }, v.merged_into)));
    }
    if (c.live && !['closed', 'withdrawn', 'merged'].includes(c.status) && ctx.me.role !== 'auditor' && ctx.me.role !== 'engineer' && ctx.me.role !== 'admin') {
      card.append(addForm());
    }
  };
  const send = async (method, suffix, body, form) => {
    try {
      draw(await ctx.call(method, '/v1/complaints/' + c.id + '/parties' + suffix, body, { idem: newKey() }));
      toast(t('case.saved'));
    } catch (err) {
      if (form) showProblem(form, err);
      else toast(err.message);
    }
  };
  const addForm = () => {
    const field = (name, input) => [h('label', {}, t('parties.' + name), input), h('div', { class: 'field-error', 'data-field': name })];
    const form = h('form', { novalidate: true, id: 'add-party' }, h('div', { class: 'form-error', 'data-field': '_form', role: 'alert' }),
      field('kind', h('select', { name: 'kind' }, kinds.map((k) => h('option', { value: k }, tOr('party.' + k, k))))),
      field('name', h('input', { name: 'name' })), field('relation', h('input', { name: 'relation' })),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'authorised' }), t('parties.authorised')),
      field('phone', h('input', { name: 'phone' })), field('email', h('input', { name: 'email' })),
      field('staff_id', h('input', { name: 'staff_id' })),
      h('button', { type: 'submit', class: 'primary' }, t('parties.add')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const v = formValues(form);
      const body = { kind: v.kind, name: v.name || '', relation: v.relation || '', authorised: !!v.authorised && !inside(v.kind),
        phone: v.phone || '', email: v.email || '', staff_id: v.staff_id || '' };
      await busy(form, () => send('POST', '', body, form));
    });
    return h('details', { class: 'action', 'data-action': 'add-party' }, h('summary', {}, t('parties.add')), form);
  };
  ctx.call('GET', '/v1/complaints/' + c.id + '/parties').then(draw, () => card.append(h('p', { class: 'muted' }, t('case.not_live'))));
  return card;
}

function duration(sec) {
  if (sec < 60) return Math.round(sec) + ' s';
  if (sec < 3600) return Math.round(sec / 60) + ' min';
  if (sec < 86400) return (sec / 3600).toFixed(1) + ' h';
  return (sec / 86400).toFixed(1) + ' d';
}

// practiceForms are the decisions of this part: logging a call (any
// handler) and merging the case into another (supervisors and up), on an
// open case; each answer is the case's new view, drawn in place.
export function practiceForms(ctx, c, rerender) {
  const open = c.live && !['received', 'closed', 'withdrawn', 'merged'].includes(c.status);
  const level = (role) => (ctx.lists.roles.find((r) => r.value === role) || { level: 0 }).level;
  if (!open || level(ctx.me.role) === 0) return [];
  const out = [];
  const post = (id, path, fields, build) => {
    let key = newKey();
    const form = h('form', { novalidate: true, id, 'data-decision': path }, h('div', { class: 'form-error', 'data-field': '_form', role: 'alert' }), fields);
    form.addEventListener('input', () => (key = newKey()));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = build(formValues(form));
      await busy(form, async () => {
        try {
          const next = await ctx.call('POST', '/v1/complaints/' + c.id + '/' + path, body, { idem: key });
          toast(t('case.saved'));
          rerender(next);
        } catch (err) {
          showProblem(form, err);
        }
      });
    });
    return form;
  };
  const field = (name, label, input) => [h('label', {}, t(label), input), h('div', { class: 'field-error', 'data-field': name })];
  out.push(h('details', { class: 'action', 'data-action': 'log-call' }, h('summary', {}, t('call.title')),
    post('log-call', 'calls', [
      ...field('outcome', 'call.outcome', h('select', { name: 'outcome' }, ['reached', 'no_answer', 'call_back'].map((o) => h('option', { value: o }, t('call.' + o))))),
      ...field('callback_at', 'call.callback_at', h('input', { name: 'callback_at', type: 'datetime-local' })),
      ...field('note', 'call.note', h('textarea', { name: 'note', rows: 2 })),
      h('button', { type: 'submit', class: 'primary' }, t('call.log'))],
    (v) => ({ outcome: v.outcome, note: v.note || '', callback_at: v.callback_at ? new Date(v.callback_at).toISOString() : undefined }))));
  if (level(ctx.me.role) >= 2 && c.status !== 'executing' && c.status !== 'fulfilling') {
    out.push(h('details', { class: 'action', 'data-action': 'merge' }, h('summary', {}, t('merge.title')),
      post('merge', 'merge', [
        h('p', { class: 'hint' }, t('merge.hint')),
        ...field('into', 'merge.into', h('input', { name: 'into', placeholder: 'CMP-…' })),
        ...field('reason', 'merge.reason', h('textarea', { name: 'reason', rows: 2 })),
        h('button', { type: 'submit', class: 'primary' }, t('merge.submit'))],
      (v) => ({ into: (v.into || '').trim(), reason: v.reason || '' }))));
  }
  return out;
}

// The handling practices on the case page (docs/practices.md): the
// banners of a contact restriction and of the script for this customer,
// the script picker beside a message to the customer, and the forms that
// record an abusive contact, restrict contact, set the customer script and
// close an unreasonable persistent complaint.
import { t, tOr, h, newKey, showProblem, formValues, busy, toast, when, values } from './common.js';

// banners are shown above the case to whoever opens it (seed 002:
// everyone who answers this customer says the same thing).
export function banners(c) {
  const out = [];
  const r = c.restriction;
  if (r) {
    const limits = [r.handler ? t('practice.only_handler', { handler: r.handler }) : null,
      r.written_only ? t('practice.written_only') : null,
      r.max_contacts_per_day ? t('practice.max_per_day', { n: r.max_contacts_per_day }) : null].filter(Boolean);
    out.push(h('section', { class: 'card banner banner-warn', id: 'restriction-banner', role: 'note' },
      h('strong', {}, t('practice.restricted')), ' ', limits.join(' · '),
      h('div', { class: 'muted' }, t('practice.review_on', { date: (r.review_on || '').slice(0, 10) }), ' · ', r.reason, ' (', r.set_by, ')')));
  }
  const s = c.customer_script;
  if (s) {
    out.push(h('section', { class: 'card banner', id: 'customer-script-banner', role: 'note' },
      h('strong', {}, t('practice.customer_script')),
      h('p', { class: 'script-text' }, s.text),
      h('div', { class: 'muted' }, s.set_by, ' · ', when(s.set_at))));
  }
  if (c.abuse_count) {
    out.push(h('p', { class: 'badge bad', id: 'abuse-count' }, t('practice.abuse_count', { n: c.abuse_count })));
  }
  return out;
}

// scriptPicker offers the approved scripts of the given stages in the
// case's language and category. Picking one fills target with the script
// rendered for the case by the API, to edit before sending; scriptRef
// then names it for the API, which records whether it was edited.
export function scriptPicker(ctx, c, target, stages) {
  const sel = h('select', { class: 'script-pick' }, h('option', { value: '' }, t('script.none')));
  const load = async () => {
    for (const stage of stages) {
      const q = new URLSearchParams({ status: 'approved', stage, language: c.language });
      if (c.category) q.set('category', c.category);
      const r = await ctx.call('GET', '/v1/scripts?' + q);
      for (const s of r.scripts) sel.append(h('option', { value: s.key }, tOr('stage.' + s.stage, s.stage) + ' · ' + s.title));
    }
  };
  load().catch(() => toast(t('script.unavailable')));
  sel.addEventListener('change', async () => {
    delete target.dataset.scriptKey;
    delete target.dataset.scriptVersion;
    if (!sel.value) return;
    try {
      const r = await ctx.call('POST', '/v1/complaints/' + encodeURIComponent(c.id) + '/scripts/' + encodeURIComponent(sel.value) + '/render');
      target.value = r.text;
      target.dataset.scriptKey = r.key;
      target.dataset.scriptVersion = String(r.version);
      target.focus();
    } catch (err) {
      toast(t('script.unavailable'));
    }
  });
  return h('div', { class: 'script-picker' }, h('label', {}, t('script.pick'), sel),
    h('div', { class: 'field-error', 'data-field': 'script.key script.version' }));
}

// scriptRef is the script the text of target was written from, if any.
export function scriptRef(target) {
  if (!target || !target.dataset.scriptKey) return undefined;
  return { key: target.dataset.scriptKey, version: Number(target.dataset.scriptVersion) };
}

// postForm posts to one of the case's practice routes; the answer is the
// case's new state, drawn in place.
function postForm(ctx, c, path, rerender, fields, build) {
  let key = newKey();
  const form = h('form', { novalidate: true, 'data-practice': path }, h('div', { class: 'form-error', 'data-field': '_form actor (body)', role: 'alert' }), fields);
  form.addEventListener('input', () => (key = newKey()));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = build(formValues(form));
    await busy(form, async () => {
      try {
        const next = await ctx.call('POST', '/v1/complaints/' + encodeURIComponent(c.id) + '/' + path, body, { idem: key });
        toast(t('case.saved'));
        rerender(next);
      } catch (err) {
        showProblem(form, err);
      }
    });
  });
  return form;
}

function field(name, label, input) {
  return [h('label', {}, t(label), input), h('div', { class: 'field-error', 'data-field': name })];
}

// practicesCard holds the forms the reader's level allows: every handler
// records abuse; supervisors and above restrict contact and set the
// customer script; managers and above close an unreasonable persistent
// complaint once our response is with the customer.
export function practicesCard(ctx, c, rerender, level) {
  const lv = level(ctx.me.role);
  if (lv < 1 || !c.live || c.status === 'withdrawn') return null;
  const forms = [];
  const add = (name, title, form) => forms.push(h('details', { class: 'action', 'data-action': name }, h('summary', {}, t(title)), form));
  add('abuse', 'abuse.record', postForm(ctx, c, 'abuse', rerender, [
    ...field('kind', 'abuse.kind', h('select', { name: 'kind' }, values(ctx.lists.abuse_kinds).map((k) => h('option', { value: k }, tOr('abuse_kind.' + k, k))))),
    ...field('evidence', 'abuse.evidence', h('textarea', { name: 'evidence', rows: 3 })),
    ...field('at', 'abuse.at', h('input', { name: 'at', type: 'datetime-local' })),
    h('p', { class: 'hint' }, t('abuse.hint')),
    h('button', { type: 'submit', class: 'danger', id: 'record-abuse' }, t('abuse.record'))],
  (v) => ({ kind: v.kind, evidence: v.evidence || '', at: v.at ? new Date(v.at).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined })));
  if (lv >= 2) {
    const r = c.restriction || {};
    add('restriction', 'restriction.set', postForm(ctx, c, 'restriction', rerender, [
      ...field('handler', 'restriction.handler', h('input', { name: 'handler', value: r.handler || '', maxlength: 200 })),
      h('label', {}, h('input', { type: 'checkbox', name: 'written_only', value: 'yes', checked: !!r.written_only }), t('restriction.written_only')),
      ...field('max_contacts_per_day', 'restriction.max_per_day', h('input', { name: 'max_contacts_per_day', type: 'number', min: 0, max: 50, value: r.max_contacts_per_day || '' })),
      ...field('review_on', 'restriction.review_on', h('input', { name: 'review_on', type: 'date', value: (r.review_on || '').slice(0, 10) })),
      ...field('reason', 'action.reason', h('textarea', { name: 'reason', rows: 2 })),
      h('button', { type: 'submit', class: 'primary', id: 'set-restriction' }, t('restriction.set'))],
    (v) => ({ handler: v.handler || '', written_only: !!v.written_only, max_contacts_per_day: v.max_contacts_per_day ? Number(v.max_contacts_per_day) : 0,
      review_on: v.review_on || '', reason: v.reason || '' })));
    add('customer_script', 'practice.set_customer_script', postForm(ctx, c, 'customer-script', rerender, [
      ...field('text', 'practice.customer_script', h('textarea', { name: 'text', rows: 3 }, (c.customer_script || {}).text || '')),
      h('button', { type: 'submit', class: 'primary', id: 'set-customer-script' }, t('action.save'))], (v) => ({ text: v.text || '' })));
  }
  if (lv >= 3 && c.status === 'awaiting_customer') {
    add('unreasonable', 'practice.close_unreasonable', postForm(ctx, c, 'unreasonable-closure', rerender, [
      ...field('reason', 'action.reason', h('textarea', { name: 'reason', rows: 2 })),
      h('p', { class: 'hint' }, t('practice.close_unreasonable_hint')),
      h('button', { type: 'submit', class: 'danger', id: 'close-unreasonable' }, t('practice.close_unreasonable'))], (v) => ({ reason: v.reason || '' })));
  }
  return h('section', { class: 'card', id: 'practices' }, h('h2', {}, t('practice.title')), forms);
}

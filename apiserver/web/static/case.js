// The case page of the console: the customer and the complaint, the
// proposal awaiting approval, the clocks, findings, remedies, repeat
// contacts and the timeline; beside them only the decisions the case
// allows this reader (the API's `actions`), each a form whose errors
// appear beside the field the API names.
import { t, tOr, h, clear, newKey, showProblem, problemText, formValues, when, money, toMinor, busy, toast, statusBadge, lists, values, fileSize } from './common.js';
import { banners, scriptPicker, scriptRef, practicesCard } from './practices.js';
import { partiesCard, practiceForms } from './parties.js';

// renderCase draws case id; call is the console's API client and me the
// signed-in staff member (together, ctx below).
export async function renderCase(main, call, me, id) {
  // The lists (remedy kinds with their amount rules, categories, roles
  // and their levels ...) are the API's (GET /v1/lists); fetched whatever
  // the actions now, because a decision drawn in place (findings) may
  // offer the proposal next.
  const [c, l] = await Promise.all([call('GET', '/v1/complaints/' + encodeURIComponent(id)), lists()]);
  const level = (role) => (l.roles.find((r) => r.value === role) || { level: 0 }).level;
  const ctx = { call, me, lists: l, kinds: l.remedy_kinds, level };
  let staff = [];
  if (c.actions.includes('assign') && level(me.role) >= 2 || me.role === 'admin') {
    try {
      staff = (await call('GET', '/v1/staff')).staff.filter((s) => s.active && level(s.role) > 0);
    } catch (err) {
      staff = [];
    }
  }
  drawCase(ctx, main, c, staff);
}

function drawCase(ctx, main, c, staff) {
  const rerender = (next) => drawCase(ctx, main, next, staff);
  const left = [summaryCard(c), c.pending_approvals ? approvalCard(ctx, c, rerender) : null, clocksCard(c),
    c.findings ? findingsCard(c.findings) : null, c.remedies.length && !c.pending_approvals ? remediesCard(c) : null,
    c.repeat_contacts.length ? repeatsCard(c) : null, filesCard(ctx, c, rerender), (c.messages || []).length ? messagesCard(c) : null, timelineCard(c)];
  const right = [actionsCard(ctx, c, staff, rerender), practicesCard(ctx, c, rerender, ctx.level), partiesCard(ctx, c)];
  clear(main).append(
    h('section', { class: 'card', id: 'case-head' },
      h('p', { class: 'muted' }, t('case.number'), ' ', h('strong', { id: 'case-number' }, c.case_number), ' · ', when(c.received_at)),
      h('h1', {}, c.subject),
      h('div', { class: 'actions' }, statusBadge(c.status),
        h('span', { class: 'badge sev-' + c.severity }, tOr('severity.' + c.severity, c.severity)),
        h('span', { class: 'badge' }, t('case.level'), ' ', tOr('role.' + c.level, c.level)),
        c.breached ? h('span', { class: 'badge bad' }, t('clock.breached')) : null,
        !c.breached && c.at_risk ? h('span', { class: 'badge warn' }, t('clock.at_risk')) : null,
        c.live ? null : h('span', { class: 'badge warn' }, t('case.not_live'))),
      c.workflow_ui_url ? workflowLink(ctx, c) : null),
    ...banners(c),
    h('div', { class: 'case-grid' }, h('div', {}, left), h('div', {}, right)));
}

// workflowLink opens the case's workflow in the Temporal Web UI (engineers,
// when TEMPORAL_UI_URL is set). The UI cannot send our token to the codec
// endpoint, only cookies: the link first sets the codec cookie
// (POST /codec/session), so the UI shows the payloads decoded.
function workflowLink(ctx, c) {
  const a = h('a', { href: c.workflow_ui_url, id: 'workflow-ui', target: '_blank', rel: 'noopener' }, t('case.workflow_ui'));
  a.addEventListener('click', async (ev) => {
    ev.preventDefault();
    try {
      await ctx.call('POST', '/codec/session');
    } catch (err) {
      toast(t('case.codec_session_failed'));
    }
    window.open(c.workflow_ui_url, '_blank', 'noopener');
  });
  return h('p', { class: 'hint' }, a, ' ', t('case.workflow_ui_hint'));
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [h('dt', {}, t(k)), h('dd', {}, v)]));
}

function summaryCard(c) {
  return h('section', { class: 'card', id: 'customer' },
    h('h2', {}, t('case.complaint')),
    facts([
      ['case.customer', c.customer_name], ['case.phone', c.customer_phone], ['case.email', c.customer_email],
      ['case.channel', tOr('channel.' + c.channel, c.channel)], ['case.order_ref', c.order_ref], ['case.product', c.product],
      ['case.region', c.region], ['case.branch', c.branch], ['case.language', c.language], ['case.profile', c.profile],
      ['case.category', tOr('category.' + c.category, c.category)], ['case.priority', 'P' + c.priority],
      ['case.assignee', c.assignee || t('list.unassigned')], ['case.team', c.team],
      ['case.appeals', c.appeal_count || null], ['case.desired_remedy', c.desired_remedy],
    ]),
    h('h3', {}, t('case.description')), h('p', { class: 'pre' }, c.description),
    c.pending_question ? h('p', {}, h('strong', {}, t('case.pending_question')), ' ', c.pending_question) : null);
}

function remedyList(remedies) {
  return h('ul', {}, remedies.map((r) => h('li', {}, tOr('remedy.' + r.type, r.type), r.amount ? ' · ' + money(r.amount, r.currency) : '', r.note ? ' — ' + r.note : '')));
}

function approvalCard(ctx, c, rerender) {
  const p = c.pending_approvals;
  const can = c.actions.includes('approval');
  const total = (p.remedies || []).reduce((s, r) => s + (r.amount || 0), 0);
  const currency = ((p.remedies || []).find((r) => r.currency) || {}).currency;
  const card = h('section', { class: 'card', id: 'approval' },
    h('h2', {}, t('approval.title')),
    facts([
      ['approval.proposer', p.proposed_by + ' · ' + when(p.proposed_at)],
      ['approval.amount', p.refusal_reason ? t('approval.refusal') : money(total, currency)],
      ['approval.needs', tOr('role.' + p.required.min_role, p.required.min_role) + (p.required.approvers > 1 ? ' ×' + p.required.approvers : '')],
      ['approval.due', when(p.due_at)],
      ['approval.escalated_to', p.escalated_to ? tOr('role.' + p.escalated_to, p.escalated_to) : ''],
    ]),
    (p.remedies || []).length ? remedyList(p.remedies) : null,
    p.refusal_reason ? h('p', {}, h('strong', {}, t('approval.refusal_reason')), ' ', p.refusal_reason) : null,
    h('h3', {}, t('approval.message')), h('p', { class: 'pre' }, p.message),
    (p.approvals || []).length ? h('ul', {}, p.approvals.map((a) => h('li', {}, a.by, ' (', tOr('role.' + a.role, a.role), '): ', tOr('decision.' + a.decision, a.decision), a.comment ? ' — ' + a.comment : ''))) : null);
  const form = decisionForm(ctx, c, 'approvals', rerender, [
    h('label', {}, t('approval.comment'), h('textarea', { name: 'comment', rows: 2, maxlength: 10000 })),
    h('div', { class: 'field-error', 'data-field': 'comment' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', name: 'decision', value: 'approve', id: 'approve' }, t('approval.approve')),
      h('button', { type: 'submit', class: 'danger', name: 'decision', value: 'reject', id: 'reject' }, t('approval.reject'))),
  ], (v, ev) => ({ decision: ev.submitter ? ev.submitter.value : 'approve', comment: v.comment }));
  form.id = 'approval-form';
  // Someone without the authority still sees the form: the workflow's
  // refusal, with its reason, is the honest answer (it names who may).
  if (!can) card.append(h('p', { class: 'hint', id: 'approval-not-yours' }, t('approval.not_yours')));
  card.append(form);
  return card;
}

function clocksCard(c) {
  return h('section', { class: 'card', id: 'clocks' }, h('h2', {}, t('clocks.title')),
    c.deadlines.length ? h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['clocks.clock', 'clocks.due', 'clocks.state', 'clocks.paused_for', 'clocks.extensions'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, c.deadlines.map((d) => h('tr', { 'data-clock': d.clock },
        h('td', {}, tOr('clock.' + d.clock, d.clock), d.advisory ? h('div', { class: 'hint' }, t('clocks.advisory')) : null),
        h('td', {}, when(d.due_at), d.provisional ? h('div', { class: 'hint' }, t('clocks.provisional')) : null),
        h('td', {}, clockState(d)),
        h('td', {}, d.paused_for && d.paused_for !== '0s' ? String(d.paused_for) : '—'),
        h('td', {}, (d.extensions || []).map((e) => h('div', {}, e.label || '', ' · ', e.by)),
          d.pending_extension ? h('div', { class: 'badge warn' }, t('clocks.pending_extension', { by: d.pending_extension.by })) : null)))))) :
      h('p', { class: 'muted' }, t('clocks.none')));
}

function clockState(d) {
  if (d.met) return h('span', { class: 'badge ok' }, t('clocks.met'), ' ', when(d.met_at));
  if (d.breached) return h('span', { class: 'badge bad' }, t('clock.breached'), ' ', when(d.breached_at));
  if (d.paused) return h('span', { class: 'badge' }, t('clocks.paused'), ' ', when(d.paused_at));
  if (d.warned) return h('span', { class: 'badge warn' }, t('clock.at_risk'));
  return h('span', { class: 'badge' }, t('clocks.running'), d.warn_at ? h('span', { class: 'hint' }, ' ', t('clocks.warn_at', { at: when(d.warn_at) })) : null);
}

function findingsCard(f) {
  return h('section', { class: 'card', id: 'findings' }, h('h2', {}, t('findings.title')),
    facts([['findings.cause', f.cause], ['findings.cause_detail', f.cause_detail],
      ['findings.responsibility', tOr('responsibility.' + f.responsibility, f.responsibility)],
      ['findings.responsible_unit', f.responsible_unit], ['findings.responsible_person', f.responsible_person],
      ['findings.summary', f.summary]]));
}

// remediesCard lists the remedies with their state, and flags the ones
// whose reversal failed: a person must undo those by hand.
function remediesCard(c) {
  const failed = c.reversal_failed || [];
  return h('section', { class: 'card', id: 'remedies' }, h('h2', {}, t('remedies.title')),
    failed.length ? h('p', { class: 'form-error', id: 'reversal-failed', role: 'alert' }, t('remedies.reversal_failed')) : null,
    h('ul', {}, c.remedies.map((r) => h('li', { 'data-remedy': r.id }, tOr('remedy.' + r.type, r.type),
      r.amount ? ' · ' + money(r.amount, r.currency) : '', r.note ? ' — ' + r.note : '',
      r.state ? h('span', { class: 'badge' + (r.state === 'failed' || r.state === 'reversal_failed' ? ' bad' : '') }, tOr('remedy_state.' + r.state, r.state)) : null,
      r.fulfilment_note ? h('span', { class: 'muted' }, ' ', r.fulfilment_note) : null))));
}

function repeatsCard(c) {
  return h('section', { class: 'card', id: 'repeats' }, h('h2', {}, t('repeats.title'), h('span', { class: 'count' }, Math.max(c.repeat_count || 0, c.repeat_contacts.length))),
    h('ul', {}, c.repeat_contacts.map((r) => h('li', {}, when(r.at), ' · ', tOr('channel.' + r.channel, r.channel || ''), ' · ', r.subject || ''))));
}

// messagesCard lists the case's messages, newest first, each with the
// channels it went by (the tracking page, email) and their status.
function messagesCard(c) {
  const delivery = (d) => h('span', { class: 'delivery', 'data-channel': d.channel, 'data-status': d.status },
    t('messages.channel.' + d.channel), ': ', t('messages.status.' + d.status),
    d.attempts > 1 ? ' (' + d.attempts + ')' : '', d.error ? ' · ' + d.error : '', ' ');
  const item = (m) => h('li', { 'data-kind': m.kind },
    h('time', {}, when(m.created_at)), h('strong', {}, t('messages.audience.' + m.audience)), ' · ', m.subject,
    h('div', { class: 'detail' }, m.deliveries.map(delivery)));
  return h('section', { class: 'card', id: 'messages' },
    h('h2', {}, t('messages.title'), h('span', { class: 'count' }, c.messages.length)),
    h('ol', { class: 'timeline' }, c.messages.slice().reverse().map(item)));
}

// filesCard lists the case's files (evidence), each saved on a click
// (handlers only: the roles that see cases masked may not download), and
// lets a handler attach more while the case is open.
function filesCard(ctx, c, rerender) {
  const list = c.attachments || [];
  const card = h('section', { class: 'card', id: 'files' },
    h('h2', {}, t('files.title'), h('span', { class: 'count' }, list.length)),
    list.length ? h('ul', { class: 'files' }, list.map((a) => h('li', { 'data-file': a.filename },
      a.scan_status === 'infected' ? h('span', { class: 'badge bad' }, t('files.infected')) : h('button', {
        type: 'button', class: 'link', onclick: async () => {
          try {
            await ctx.call.download('/v1/complaints/' + encodeURIComponent(c.id) + '/attachments/' + encodeURIComponent(a.id), a.filename);
          } catch (err) {
            toast(problemText(err));
          }
        },
      }, a.filename),
      ' ', h('span', { class: 'muted' }, a.content_type, ' · ', fileSize(a.size), ' · ', tOr('files.by.' + a.uploaded_by, a.uploaded_by), ' · ', when(a.created_at))))) : h('p', { class: 'muted' }, t('files.none')));
  if (!c.actions.includes('note') || c.status === 'closed' || c.status === 'withdrawn') return card;
  const input = h('input', { type: 'file', id: 'case-files', multiple: true, accept: 'image/jpeg,image/png,image/webp,image/heic,.heic,application/pdf,audio/*,.amr,.m4a' });
  const form = h('form', { novalidate: true, id: 'case-files-form' },
    h('div', { class: 'form-error', 'data-field': '_form file ' + Array.from({ length: 10 }, (_, i) => 'files[' + i + ']').join(' '), role: 'alert' }),
    h('label', {}, t('files.add'), input),
    h('button', { type: 'submit' }, t('files.upload')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!input.files.length) return;
    const fd = new FormData();
    for (const f of input.files) fd.append('file', f, f.name);
    await busy(form, async () => {
      try {
        await ctx.call('POST', '/v1/complaints/' + encodeURIComponent(c.id) + '/attachments', fd, { idem: newKey() });
        toast(t('case.saved'));
        rerender(await ctx.call('GET', '/v1/complaints/' + encodeURIComponent(c.id)));
      } catch (err) {
        showProblem(form, err);
      }
    });
  });
  card.append(form);
  return card;
}

function timelineCard(c) {
  return h('section', { class: 'card', id: 'timeline' }, h('h2', {}, t('timeline.title'), h('span', { class: 'count' }, c.timeline.length)),
    h('ol', { class: 'timeline' }, c.timeline.slice().reverse().map((e) => h('li', { 'data-type': e.type },
      h('time', {}, when(e.at)), h('strong', {}, tOr('event.' + e.type, e.type)), ' · ', h('span', { class: 'muted' }, e.actor),
      h('div', { class: 'detail' }, payloadText(e.payload))))));
}

// payloadText shows an event's details as "key: value" lines, nested
// objects flattened with dotted keys and amounts with their currency.
function payloadText(p) {
  const lines = [];
  const walk = (prefix, v) => {
    if (v === null || v === undefined || v === '') return;
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x !== 'object')) lines.push(prefix + ': ' + v.join(', '));
      else v.forEach((x, i) => walk(prefix + '[' + (i + 1) + ']', x));
      return;
    }
    if (typeof v === 'object') {
      for (const k of Object.keys(v).sort()) {
        if (k === 'id' || k === 'currency' && typeof v.amount === 'number') continue;
        const val = (k === 'amount' || k === 'total') && typeof v[k] === 'number' && v.currency ? money(v[k], v.currency) : v[k];
        walk(prefix ? prefix + '.' + k : k, val);
      }
      return;
    }
    lines.push(prefix + ': ' + String(v));
  };
  walk('', p);
  return lines.join('\n');
}

// decisionForm posts a staff decision; the answer is the case's new
// state, drawn in place. Field errors appear next to their fields.
function decisionForm(ctx, c, path, rerender, fields, build) {
  let key = newKey();
  const form = h('form', { novalidate: true, 'data-decision': path }, h('div', { class: 'form-error', 'data-field': '_form actor', role: 'alert' }), fields);
  form.addEventListener('input', () => (key = newKey()));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    // Read the fields before busy() disables them (disabled fields have no
    // value to send).
    const body = build(formValues(form), ev);
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
}

function field(name, label, input) {
  return [h('label', {}, t(label), input), h('div', { class: 'field-error', 'data-field': name })];
}

function select(name, options, prefix, selected) {
  return h('select', { name }, options.map((o) => h('option', { value: o, selected: o === selected }, tOr(prefix + o, o))));
}

function actionsCard(ctx, c, staff, rerender) {
  const me = ctx.me;
  const a = (name) => c.actions.includes(name);
  const forms = [];
  const add = (name, title, form, open) => forms.push(h('details', { class: 'action', 'data-action': name, open: open || false }, h('summary', {}, t(title)), form));
  if (a('assign')) {
    if (staff.length) {
      add('assign', 'action.assign', decisionForm(ctx, c, 'assign', rerender, [
        ...field('assignee', 'action.assignee', h('select', { name: 'assignee' }, staff.map((s) => h('option', { value: s.id, selected: s.id === c.assignee }, s.id + ' · ' + tOr('role.' + s.role, s.role) + (s.team ? ' · ' + s.team : ''))))),
        h('button', { type: 'submit', class: 'primary' }, t('action.assign'))], (v) => ({ assignee: v.assignee })));
    } else if (c.assignee !== me.id) {
      add('assign', 'action.take', decisionForm(ctx, c, 'assign', rerender, [h('button', { type: 'submit', class: 'primary', id: 'take' }, t('action.take'))], () => ({ assignee: me.id })));
    }
  }
  if (a('findings')) {
    const f = c.findings || {};
    add('findings', 'action.findings', decisionForm(ctx, c, 'findings', rerender, [
      ...field('cause', 'findings.cause', h('input', { name: 'cause', value: f.cause || '', placeholder: 'billing.duplicate', maxlength: 100 })),
      ...field('cause_detail', 'findings.cause_detail', h('input', { name: 'cause_detail', value: f.cause_detail || '', placeholder: 'billing.duplicate.meter_read_twice', maxlength: 200 })),
      h('p', { class: 'hint' }, t('findings.cause_hint')),
      ...field('responsibility', 'findings.responsibility', select('responsibility', values(ctx.lists.responsibilities), 'responsibility.', f.responsibility)),
      ...field('responsible_unit', 'findings.responsible_unit', h('input', { name: 'responsible_unit', value: f.responsible_unit || '', maxlength: 200 })),
      ...field('responsible_person', 'findings.responsible_person', h('input', { name: 'responsible_person', value: f.responsible_person || '', maxlength: 200 })),
      ...field('summary', 'findings.summary', h('textarea', { name: 'summary', rows: 3 }, f.summary || '')),
      h('button', { type: 'submit', class: 'primary' }, t('action.save'))], (v) => v), !c.findings && c.status !== 'awaiting_info');
  }
  if (a('proposal')) add('proposal', 'action.proposal', proposalForm(ctx, c, rerender), true);
  if (a('note')) {
    add('note', 'action.note', decisionForm(ctx, c, 'notes', rerender, [
      ...field('text', 'action.note_text', h('textarea', { name: 'text', rows: 3 })),
      h('button', { type: 'submit', class: 'primary' }, t('action.add_note'))], (v) => ({ text: v.text })));
  }
  if (a('request_info')) {
    const question = h('textarea', { name: 'question', rows: 3 });
    add('request_info', 'action.request_info', decisionForm(ctx, c, 'request-info', rerender, [
      scriptPicker(ctx, c, question, ['info_request', 'callback']),
      ...field('question', 'action.question', question),
      h('p', { class: 'hint' }, t('action.request_info_hint')),
      h('button', { type: 'submit', class: 'primary' }, t('action.send'))], (v) => ({ question: v.question, script: scriptRef(question) })));
  }
  if (a('transfer')) {
    add('transfer', 'action.transfer', decisionForm(ctx, c, 'transfer', rerender, [
      ...field('team', 'action.team', h('input', { name: 'team', maxlength: 100 })),
      ...field('assignee', 'action.assignee', staff.length
        ? h('select', { name: 'assignee' }, h('option', { value: '' }, '—'), staff.map((s) => h('option', { value: s.id }, s.id)))
        : h('input', { name: 'assignee', maxlength: 200 })),
      ...field('reason', 'action.reason', h('textarea', { name: 'reason', rows: 2 })),
      h('button', { type: 'submit', class: 'primary' }, t('action.transfer'))], (v) => v));
  }
  if (a('escalate')) {
    add('escalate', 'action.escalate', decisionForm(ctx, c, 'escalate', rerender, [
      ...field('reason', 'action.reason', h('textarea', { name: 'reason', rows: 2 })),
      h('button', { type: 'submit', class: 'danger' }, t('action.escalate'))], (v) => ({ reason: v.reason })));
  }
  if (a('classification')) {
    add('classification', 'action.classification', decisionForm(ctx, c, 'classification', rerender, [
      ...field('category', 'case.category', select('category', values(ctx.lists.categories), 'category.', c.category)),
      ...field('severity', 'list.severity', select('severity', values(ctx.lists.severities), 'severity.', c.severity)),
      ...field('reason', 'action.reason', h('textarea', { name: 'reason', rows: 2 })),
      h('button', { type: 'submit', class: 'primary' }, t('action.save'))], (v) => v));
  }
  if (a('request_extension')) {
    const clocks = c.deadlines.filter((d) => !d.met && !d.pending_extension && (d.steps || []).length > (d.extensions || []).length);
    add('request_extension', 'action.request_extension', decisionForm(ctx, c, 'extensions', rerender, [
      ...field('clock', 'clocks.clock', select('clock', clocks.map((d) => d.clock), 'clock.')),
      ...field('reason', 'action.reason', h('textarea', { name: 'reason', rows: 2 })),
      h('button', { type: 'submit', class: 'primary' }, t('action.request_extension'))], (v) => v));
  }
  if (a('decide_extension')) {
    const clocks = c.deadlines.filter((d) => d.pending_extension);
    add('decide_extension', 'action.decide_extension', decisionForm(ctx, c, 'extensions/decision', rerender, [
      ...field('clock', 'clocks.clock', select('clock', clocks.map((d) => d.clock), 'clock.')),
      clocks.map((d) => h('p', { class: 'hint' }, tOr('clock.' + d.clock, d.clock), ': ', d.pending_extension.reason, ' (', d.pending_extension.by, ')')),
      ...field('comment', 'approval.comment', h('textarea', { name: 'comment', rows: 2 })),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary', value: 'approve' }, t('approval.approve')),
        h('button', { type: 'submit', class: 'danger', value: 'reject' }, t('approval.reject')))],
    (v, ev) => ({ clock: v.clock, decision: ev.submitter ? ev.submitter.value : 'approve', comment: v.comment })));
  }
  if (a('fulfilment')) {
    // One form for each replacement or repair still to deliver.
    for (const r of c.remedies.filter((x) => x.state === 'ordered' || x.state === 'shipped')) {
      const next = r.state === 'ordered' ? ['shipped', 'done', 'failed'] : ['done', 'failed'];
      add('fulfilment', 'action.fulfilment', decisionForm(ctx, c, 'fulfilments/' + encodeURIComponent(r.id), rerender, [
        h('p', {}, tOr('remedy.' + r.type, r.type), r.note ? ' — ' + r.note : '', ' · ', tOr('remedy_state.' + r.state, r.state)),
        ...field('state', 'fulfilment.state', select('state', next, 'remedy_state.', next[0])),
        ...field('note', 'fulfilment.note', h('input', { name: 'note', maxlength: 1000 })),
        h('p', { class: 'hint' }, t('fulfilment.hint')),
        h('button', { type: 'submit', class: 'primary' }, t('action.save'))], (v) => ({ state: v.state, note: v.note || '' })), true);
    }
  }
  forms.push(...practiceForms(ctx, c, rerender));
  return h('section', { class: 'card', id: 'actions' }, h('h2', {}, t('action.title')),
    forms.length ? forms : h('p', { class: 'muted', id: 'no-actions' }, t('action.none')));
}

// proposalForm collects remedies (amounts typed in major units, sent in
// minor units) or a reasoned refusal, and the message to the customer.
function proposalForm(ctx, c, rerender) {
  const rows = h('div', { id: 'remedy-rows' });
  const types = values(ctx.kinds);
  const addRow = () => {
    const i = rows.children.length;
    rows.append(h('div', { class: 'remedy-row', 'data-row': i },
      h('label', {}, t('remedy.type'), select('r' + i + '.type', types, 'remedy.', 'refund')),
      h('label', {}, t('remedy.amount'), h('input', { name: 'r' + i + '.amount', inputmode: 'decimal', placeholder: '0.00' })),
      h('label', {}, t('remedy.currency'), h('input', { name: 'r' + i + '.currency', value: 'CNY', maxlength: 3 })),
      h('label', {}, t('remedy.note'), h('input', { name: 'r' + i + '.note', maxlength: 500 })),
      h('button', { type: 'button', class: 'link', onclick: (ev) => ev.target.closest('.remedy-row').remove() }, t('remedy.remove')),
      h('div', { class: 'field-error span-all', 'data-field': `remedies[${i}] remedies[${i}].type remedies[${i}].amount remedies[${i}].currency remedies[${i}].note` })));
  };
  addRow();
  const refusal = h('input', { type: 'checkbox', name: 'refuse', value: 'yes', id: 'refuse',
    onchange: (ev) => { rows.hidden = ev.target.checked; add.hidden = ev.target.checked; reason.hidden = !ev.target.checked; } });
  const add = h('button', { type: 'button', onclick: addRow }, t('remedy.add'));
  const reason = h('div', { hidden: true }, ...field('refusal_reason', 'proposal.refusal_reason', h('textarea', { name: 'refusal_reason', rows: 2 })),
    h('p', { class: 'hint' }, t('proposal.refusal_hint')));
  const message = h('textarea', { name: 'message', rows: 6 });
  const form = decisionForm(ctx, c, 'proposal', rerender, [
    rows, h('div', { class: 'field-error', 'data-field': 'remedies' }), add,
    h('label', {}, refusal, t('proposal.refuse')), reason,
    scriptPicker(ctx, c, message, ['proposal', 'refusal', 'appeal_answer']),
    ...field('message', 'proposal.message', message),
    h('p', { class: 'hint' }, t('proposal.hint')),
    h('button', { type: 'submit', class: 'primary', id: 'propose' }, t('action.proposal'))], (v) => {
    if (v.refuse) return { refusal_reason: v.refusal_reason || '', message: v.message || '', script: scriptRef(message) };
    const remedies = [];
    for (const [j, row] of [...rows.querySelectorAll('.remedy-row')].entries()) {
      const i = row.dataset.row;
      // The API names a remedy by its place in the list sent.
      row.querySelector('.field-error').dataset.field = ['', '.type', '.amount', '.currency', '.note'].map((s) => `remedies[${j}]${s}`).join(' ');
      const r = v['r' + i] || {};
      const rem = { type: r.type, currency: (r.currency || '').toUpperCase() };
      if (r.amount) rem.amount = toMinor(r.amount, rem.currency);
      if (r.note) rem.note = r.note;
      remedies.push(rem);
    }
    return { remedies, message: v.message || '', script: scriptRef(message) };
  });
  form.id = 'proposal-form';
  return form;
}

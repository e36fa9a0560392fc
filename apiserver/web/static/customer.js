// The customer's pages: the complaint form (/), the tracking page
// (/track/{token}) and the survey (/survey/{token}). They use the public
// API only; the tracking and survey tokens are the customer's keys.
import { t, tOr, h, clear, api, newKey, showProblem, clearProblem, problemText, formValues, when, money, busy, toast, lang, lists, fileSize } from './common.js';

const page = document.body.dataset.page;
const token = document.body.dataset.token;
const main = document.getElementById('main');

if (page === 'form') initForm();
if (page === 'track') initTrack();
if (page === 'survey') initSurvey();

// customerID derives a stable id for a customer without an account from
// the contact they give, so the same person about the same order is
// recognised as a repeat contact rather than a new case.
function customerID(c) {
  if (c.email) return 'email:' + c.email.toLowerCase();
  if (c.phone) return 'phone:' + c.phone.replace(/[^0-9+]/g, '');
  return '';
}

function initForm() {
  const form = document.getElementById('complaint-form');
  // One key per filled-in form: a double click or a retry after a lost
  // answer files the complaint once.
  let key = newKey();
  form.addEventListener('input', () => (key = key || newKey()));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = formValues(form);
    v.customer = v.customer || {};
    v.customer.id = customerID(v.customer);
    v.channel = 'web';
    v.language = lang;
    const files = [...document.getElementById('files').files];
    await busy(form, async () => {
      try {
        const res = await api('POST', '/v1/complaints', v, { idem: key });
        clearProblem(form);
        form.hidden = true;
        const done = document.getElementById('form-done');
        clear(done).append(
          h('h2', {}, res.repeat_contact ? t('form.done_repeat') : t('form.done')),
          h('p', {}, t('form.case_number'), ' ', h('strong', { id: 'case-number' }, res.case_number)),
        );
        // An existing case's link goes to the contact details on file,
        // never to this page; the answer says so.
        if (res.tracking_url) {
          done.append(
            h('p', {}, t('form.tracking_hint')),
            h('p', {}, h('a', { href: res.tracking_url, id: 'tracking-link' }, res.tracking_url)),
          );
          // The files follow the complaint, to its case (the tracking
          // token is the key); one refused leaves the case without them,
          // and the tracking page can add them again.
          if (files.length) done.append(await sendFiles(res.tracking_token, files));
        } else {
          done.append(h('p', { id: 'existing-case' }, res.message || t('form.link_sent')));
        }
        done.hidden = false;
        key = '';
      } catch (err) {
        showProblem(form, err);
      }
    });
  });
}

// sendFiles attaches files to the case of token and says how it went.
async function sendFiles(tok, files) {
  const fd = new FormData();
  for (const f of files) fd.append('file', f, f.name);
  try {
    const up = await api('POST', '/v1/track/' + encodeURIComponent(tok) + '/attachments', fd, { idem: newKey() });
    return h('p', { id: 'files-done' }, t('form.files_done', { n: up.attachments.length }));
  } catch (err) {
    return h('p', { class: 'form-error', id: 'files-failed', role: 'alert' }, t('form.files_failed'), ' ', problemText(err));
  }
}

// The case statuses (GET /v1/lists), each with the step of the progress
// the customer sees it as: the steps are the statuses that are their own.
let statuses = [];

// The case's calendar zone (the tracking API's time_zone): every time the
// customer sees is said in it and names it, as the messages do ("... CST"),
// with the viewer's own time beside it when their zone differs.
let caseZone = '';
const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const locale = lang === 'zh' ? 'zh-CN' : 'en-GB';

function zoned(iso, zone) {
  const opts = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: lang === 'zh' ? 'long' : 'short' };
  if (zone) opts.timeZone = zone;
  try {
    return new Intl.DateTimeFormat(locale, opts).format(new Date(iso));
  } catch (e) {
    return when(iso);
  }
}

function whenCase(iso) {
  if (!iso) return '';
  if (!caseZone) return zoned(iso, '');
  const inCase = zoned(iso, caseZone);
  const sameClock = new Date(iso).toLocaleString('en-GB', { timeZone: caseZone }) === new Date(iso).toLocaleString('en-GB', { timeZone: viewerZone });
  return sameClock ? inCase : inCase + ' (' + t('track.your_time') + ' ' + zoned(iso, viewerZone) + ')';
}

// prefs are the case's contact preferences, read once: the page redraws
// its case every ten seconds, and a choice half made must stay.
let prefs = null;

async function initTrack() {
  let data, l;
  try {
    [data, l] = await Promise.all([api('GET', '/v1/track/' + encodeURIComponent(token)), lists()]);
    statuses = l.statuses;
    if (!prefs) prefs = prefsCard(await api('GET', '/v1/track/' + encodeURIComponent(token) + '/preferences'));
  } catch (err) {
    clear(main).append(h('section', { class: 'card narrow' }, h('h1', {}, t('track.title')), h('p', { class: 'form-error' }, problemText(err))));
    return;
  }
  renderTrack(data);
  // While the case is open the page follows it.
  if (data.status !== 'closed' && data.status !== 'withdrawn' || data.survey_status === 'scheduled' || data.survey_status === 'sent') {
    setTimeout(initTrack, 10000);
  }
}

function renderTrack(d) {
  caseZone = d.time_zone || '';
  const steps = statuses.filter((s) => s.step === s.value).map((s) => s.value);
  const now = (statuses.find((s) => s.value === d.status) || { step: d.status }).step;
  const idx = steps.indexOf(now);
  const card = h('section', { class: 'card narrow', id: 'track' },
    h('p', { class: 'muted' }, t('track.case'), ' ', h('strong', { id: 'case-number' }, d.case_number)),
    h('h1', {}, t('track.title')),
    h('p', { class: 'status-line', id: 'status', 'data-status': d.status }, tOr('track.status.' + d.status, d.status)),
    h('ol', { class: 'steps', 'aria-label': t('track.progress') },
      steps.map((s, i) => h('li', { class: i < idx ? 'done' : i === idx ? 'now' : '' }, t('track.step.' + s)))),
    d.expected_resolution_at && d.status !== 'closed' && d.status !== 'withdrawn'
      ? h('p', {}, t('track.expected'), ' ', h('strong', { id: 'expected' }, whenCase(d.expected_resolution_at))) : null,
  );
  const parts = [card];
  if (d.proposal) parts.push(proposalCard(d.proposal));
  if (d.question) parts.push(infoCard(d.question));
  const survey = surveyLink(d);
  if (survey) parts.push(h('section', { class: 'card narrow' }, h('h2', {}, t('track.survey')), h('p', {}, t('track.survey_hint')),
    h('a', { href: survey, id: 'survey-link', class: 'button' }, t('track.survey_go'))));
  parts.push(filesCard(d));
  parts.push(messagesCard(d.messages));
  if (prefs) parts.push(prefs);
  if (d.status !== 'closed' && d.status !== 'withdrawn') parts.push(withdrawCard());
  clear(main).append(...parts);
}

// prefsCard lets the customer choose how the case's messages reach them:
// a channel with a contact on file, or this page only; the language of
// texts; and no survey.
function prefsCard(p) {
  const form = h('form', { id: 'prefs-form', novalidate: true },
    h('div', { class: 'form-error', 'data-field': '_form', role: 'alert' }),
    h('fieldset', {}, h('legend', {}, t('track.prefs.channel')),
      (p.available || ['none']).map((ch) => h('label', {},
        h('input', { type: 'radio', name: 'channel', value: ch, checked: ch === p.channel }), ' ', t('track.prefs.channel.' + ch)))),
    h('div', { class: 'field-error', 'data-field': 'channel' }),
    h('label', {}, t('track.prefs.language'), ' ',
      h('select', { name: 'language' }, ['zh', 'en'].map((l) => h('option', { value: l, selected: l === p.language }, l === 'zh' ? '中文' : 'English')))),
    h('div', { class: 'field-error', 'data-field': 'language' }),
    h('label', {}, h('input', { type: 'checkbox', name: 'survey_opt_out', checked: !!p.survey_opt_out }), ' ', t('track.prefs.survey_opt_out')),
    h('div', { class: 'field-error', 'data-field': 'survey_opt_out' }),
    h('button', { type: 'submit', class: 'primary', id: 'prefs-save' }, t('track.prefs.save')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await busy(form, async () => {
      try {
        clearProblem(form);
        const checked = form.querySelector('input[name=channel]:checked');
        await api('PUT', '/v1/track/' + encodeURIComponent(token) + '/preferences', {
          channel: checked ? checked.value : '', language: form.elements.language.value,
          survey_opt_out: form.elements.survey_opt_out.checked }, { idem: newKey() });
        toast(t('track.prefs.saved'));
      } catch (err) {
        showProblem(form, err);
      }
    });
  });
  return h('section', { class: 'card narrow', id: 'prefs' }, h('h2', {}, t('track.prefs')), h('p', { class: 'hint' }, t('track.prefs_hint')), form);
}

function proposalCard(p) {
  const form = h('form', { id: 'response-form', novalidate: true },
    h('div', { class: 'form-error', 'data-field': '_form decision', role: 'alert' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', name: 'accept', value: 'accept', id: 'accept' }, t('track.accept')),
      h('button', { type: 'button', id: 'reject', onclick: () => { why.hidden = false; why.querySelector('textarea').focus(); } }, t('track.reject'))),
  );
  const why = h('div', { hidden: true, id: 'reject-why' },
    h('label', {}, t('track.reject_why'), h('textarea', { name: 'comment', rows: 3, maxlength: 2000 })),
    h('div', { class: 'field-error', 'data-field': 'comment' }),
    h('p', { class: 'hint' }, t('track.appeal_hint')),
    h('button', { type: 'submit', class: 'danger', name: 'reject', value: 'reject', id: 'send-reject' }, t('track.send_reject')));
  form.append(why);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const decision = ev.submitter && ev.submitter.value === 'reject' ? 'reject' : 'accept';
    const body = { decision };
    if (decision === 'reject') body.comment = form.elements.comment.value.trim();
    await respond(form, '/response', body);
  });
  return h('section', { class: 'card narrow', id: 'proposal' },
    h('h2', {}, p.refusal_reason ? t('track.decision') : t('track.proposal')),
    h('p', { class: 'messages' }, h('span', { class: 'body' }, p.message)),
    p.refusal_reason ? h('p', {}, t('track.refusal_reason'), ' ', p.refusal_reason) : null,
    (p.remedies || []).length ? h('ul', {}, p.remedies.map((r) => h('li', {}, tOr('remedy.' + r.type, r.type), r.amount ? ' · ' + money(r.amount, r.currency) : ''))) : null,
    form);
}

const fileAccept = 'image/jpeg,image/png,image/webp,image/heic,.heic,application/pdf,audio/*,.amr,.m4a';

// fileErrors is the slot for the files' field errors (files[0] ...).
function fileErrors() {
  return h('div', { class: 'field-error', 'data-field': 'file ' + Array.from({ length: 10 }, (_, i) => 'files[' + i + ']').join(' ') });
}

function infoCard(question) {
  const files = h('input', { type: 'file', id: 'info-files', multiple: true, accept: fileAccept });
  const form = h('form', { id: 'info-form', novalidate: true },
    h('div', { class: 'form-error', 'data-field': '_form', role: 'alert' }),
    h('label', {}, t('track.answer'), h('textarea', { name: 'answer', rows: 4, maxlength: 10000 })),
    h('div', { class: 'field-error', 'data-field': 'answer' }),
    h('label', {}, t('track.answer_files'), files),
    fileErrors(),
    h('button', { type: 'submit', class: 'primary' }, t('track.send_answer')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const answer = form.elements.answer.value.trim();
    if (!files.files.length) return respond(form, '/info', { answer });
    // With files the answer goes as a form: the files and the answer
    // reach the case together.
    const fd = new FormData();
    fd.append('answer', answer);
    for (const f of files.files) fd.append('file', f, f.name);
    await respond(form, '/info', fd);
  });
  return h('section', { class: 'card narrow', id: 'info-request' }, h('h2', {}, t('track.question')), h('p', {}, question), form);
}

// filesCard lists the files the customer attached, each a download, and
// while the case is open lets them add more.
function filesCard(d) {
  const list = d.attachments || [];
  const card = h('section', { class: 'card narrow', id: 'files' },
    h('h2', {}, t('track.files')),
    list.length ? h('ul', { class: 'files' }, list.map((a) => h('li', {},
      h('a', { href: '/v1/track/' + encodeURIComponent(token) + '/attachments/' + encodeURIComponent(a.id), download: a.filename, 'data-file': a.filename }, a.filename),
      ' ', h('span', { class: 'muted' }, fileSize(a.size), ' · ', whenCase(a.created_at))))) : h('p', { class: 'muted' }, t('track.no_files')));
  if (d.status === 'closed' || d.status === 'withdrawn') return card;
  const files = h('input', { type: 'file', id: 'add-files', multiple: true, accept: fileAccept });
  const form = h('form', { id: 'files-form', novalidate: true },
    h('div', { class: 'form-error', 'data-field': '_form', role: 'alert' }),
    h('label', {}, t('track.add_files'), files), fileErrors(),
    h('p', { class: 'hint' }, t('form.files_hint')),
    h('button', { type: 'submit' }, t('track.send_files')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!files.files.length) return;
    const fd = new FormData();
    for (const f of files.files) fd.append('file', f, f.name);
    await respond(form, '/attachments', fd);
  });
  card.append(form);
  return card;
}

function withdrawCard() {
  const form = h('form', { id: 'withdraw-form', novalidate: true },
    h('div', { class: 'form-error', 'data-field': '_form', role: 'alert' }),
    h('button', { type: 'button', class: 'link', id: 'withdraw', onclick: () => { confirm.hidden = false; } }, t('track.withdraw')));
  const confirm = h('div', { hidden: true },
    h('p', {}, t('track.withdraw_confirm')),
    h('button', { type: 'submit', class: 'danger', id: 'withdraw-yes' }, t('track.withdraw_yes')));
  form.append(confirm);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await respond(form, '/withdraw', {});
  });
  return h('section', { class: 'card narrow' }, form);
}

async function respond(form, path, body) {
  await busy(form, async () => {
    try {
      await api('POST', '/v1/track/' + encodeURIComponent(token) + path, body, { idem: newKey() });
      toast(t('track.sent'));
      const d = await api('GET', '/v1/track/' + encodeURIComponent(token));
      renderTrack(d);
    } catch (err) {
      showProblem(form, err);
    }
  });
}

// surveyLink is the survey's page when the survey is open: its link is in
// the survey message.
function surveyLink(d) {
  if (d.survey_status !== 'sent') return '';
  for (const m of d.messages || []) {
    const found = m.kind === 'survey' && /\/survey\/([A-Za-z0-9_-]+)/.exec(m.body);
    if (found) return '/survey/' + found[1];
  }
  return '';
}

function messagesCard(messages) {
  const list = (messages || []).slice().reverse();
  return h('section', { class: 'card narrow', id: 'messages' },
    h('h2', {}, t('track.messages')),
    list.length ? h('ul', { class: 'messages' }, list.map((m) => h('li', {},
      h('strong', {}, m.subject), ' ', h('time', { class: 'muted' }, whenCase(m.created_at)),
      h('div', { class: 'body' }, m.body)))) : h('p', { class: 'muted' }, t('track.no_messages')));
}

async function initSurvey() {
  const form = document.getElementById('survey-form');
  const info = document.getElementById('survey-case');
  try {
    const s = await api('GET', '/v1/surveys/' + encodeURIComponent(token));
    info.textContent = t('survey.for_case', { case_number: s.case_number });
    if (s.survey_status !== 'sent' && s.survey_status !== 'scheduled') {
      form.hidden = true;
      info.textContent = tOr('survey.state.' + s.survey_status, t('survey.closed'));
    }
  } catch (err) {
    form.hidden = true;
    info.textContent = problemText(err);
    return;
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = formValues(form);
    const body = { score: v.score ? Number(v.score) : 0 };
    if (v.comment) body.comment = v.comment;
    await busy(form, async () => {
      try {
        await api('POST', '/v1/surveys/' + encodeURIComponent(token), body, { idem: newKey() });
        form.hidden = true;
        const done = document.getElementById('survey-done');
        clear(done).append(h('h2', { id: 'survey-thanks' }, t('survey.thanks')), h('p', {}, body.score <= 2 ? t('survey.recovery') : t('survey.thanks_more')));
        done.hidden = false;
      } catch (err) {
        showProblem(form, err);
      }
    });
  });
}

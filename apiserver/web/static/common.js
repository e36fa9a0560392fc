// Shared by the customer pages and the console: translations, DOM
// building (text is always set as text, never parsed as HTML), the API
// client, and showing a problem's field errors next to their fields.

const dict = JSON.parse(document.getElementById('i18n').textContent);
export const lang = document.body.dataset.lang;

// t translates key, filling {name} from params. A missing key is a bug:
// it is reported on the console (the browser tests fail on it).
export function t(key, params) {
  let s = dict[key];
  if (s === undefined) {
    console.error('missing translation: ' + key);
    s = key;
  }
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
  return s;
}

// tOr translates key when the dictionary has it, else returns fallback:
// for values that come from data (event types, error messages).
export function tOr(key, fallback) {
  return dict[key] === undefined ? fallback : dict[key];
}

// h builds an element: h('a', {href: '/x', class: 'y'}, 'text', child).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// ApiError carries an RFC 9457 problem.
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || 'HTTP ' + status);
    this.status = status;
    this.problem = problem || {};
  }
}

// api calls the JSON API. opts.token is a staff token; opts.idem an
// Idempotency-Key, so a retried decision is not taken twice.
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  // A FormData body (files) goes as multipart/form-data, its boundary set
  // by the browser.
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers['Content-Type'] = 'application/json';
  if (opts.token) headers.Authorization = 'Bearer ' + opts.token;
  if (opts.idem) headers['Idempotency-Key'] = opts.idem;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined || form ? body : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { title: t('error.network') });
  }
  const type = resp.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await resp.json() : null;
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

// download fetches a file with the staff token and saves it under name
// (a link cannot send the token).
export async function download(path, name, opts = {}) {
  const headers = {};
  if (opts.token) headers.Authorization = 'Bearer ' + opts.token;
  let resp;
  try {
    resp = await fetch(path, { headers });
  } catch (e) {
    throw new ApiError(0, { title: t('error.network') });
  }
  if (!resp.ok) {
    const type = resp.headers.get('Content-Type') || '';
    throw new ApiError(resp.status, type.includes('json') ? await resp.json() : null);
  }
  const url = URL.createObjectURL(await resp.blob());
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// fileSize is a size in bytes for people.
export function fileSize(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(0) + ' KB';
  return (n / 1024 / 1024).toFixed(1) + ' MB';
}

// newKey makes an idempotency key for one submission of a form.
export function newKey() {
  return crypto.randomUUID();
}

// showProblem puts each field error next to its field (elements with
// data-field listing field names) and the rest at the top of the form.
export function showProblem(form, err) {
  clearProblem(form);
  const p = err.problem || {};
  const top = form.querySelector('[data-field~="_form"]');
  const rest = [];
  // A form may ignore fields it fills itself (the customer form derives
  // customer.id from the contact given, which has its own message).
  const ignore = (form.dataset.ignoreFields || '').split(' ');
  for (const fe of p.errors || []) {
    if (ignore.includes(fe.field)) continue;
    const slot = form.querySelector(`[data-field~="${CSS.escape(fe.field)}"]`);
    const msg = fieldMessage(fe);
    if (slot) {
      slot.textContent = slot.textContent ? slot.textContent + ' ' + msg : msg;
      const input = form.querySelector(`[name="${CSS.escape(fe.field)}"]`);
      if (input) input.setAttribute('aria-invalid', 'true');
    } else rest.push(msg);
  }
  let msg = rest.join(' ');
  if (!msg && !(p.errors || []).length) msg = problemText(err);
  if (top) top.textContent = msg;
  const first = form.querySelector('[aria-invalid=true]');
  if (first) first.focus();
}

export function clearProblem(form) {
  form.querySelectorAll('.field-error, .form-error').forEach((e) => (e.textContent = ''));
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

// fieldMessage words a field error in the page's language from its code
// and parameters (problem.<code>); for a code the dictionary does not know,
// or a parameter its words need but the error lacks, it shows the API's
// English message.
export function fieldMessage(fe) {
  const label = tOr('field.' + fe.field, fe.field);
  return label + ': ' + problemMessage(fe);
}

// Parameters whose values are themselves words to translate, with the
// prefix of their keys (a remedy type, a clock's name, another field).
const paramWords = { remedy: 'remedy.', clock: 'clock.', other: 'field.' };

export function problemMessage(fe) {
  const tmpl = fe.code === undefined ? undefined : dict['problem.' + fe.code];
  if (tmpl === undefined) return fe.message;
  const params = fe.params || {};
  let complete = true;
  const s = tmpl.replace(/\{(\w+)\}/g, (m, k) => {
    if (params[k] === undefined) {
      complete = false;
      return m;
    }
    return paramWords[k] ? tOr(paramWords[k] + params[k], String(params[k])) : String(params[k]);
  });
  return complete ? s : fe.message;
}

// lists fetches the API's lists (GET /v1/lists) once per page: statuses,
// remedy kinds, channels, roles ... each written once, in the Go code.
// opts.token is the staff token, so staff are not rate-limited.
let listsOnce;
export function lists(opts = {}) {
  if (!listsOnce) listsOnce = api('GET', '/v1/lists', undefined, opts).catch((e) => { listsOnce = undefined; throw e; });
  return listsOnce;
}

// values is the values of one of those lists.
export function values(list) {
  return list.map((x) => x.value);
}

// problemText is what to tell a person about a failed call.
export function problemText(err) {
  switch (err.status) {
    case 0: return t('error.network');
    case 401: return t('error.401');
    case 403: return err.problem.detail ? sentence(err.problem.detail.replace(/^insufficient authority: /, '')) : t('error.403');
    case 404: return t('error.404');
    case 409: return t('error.409') + (err.problem.detail ? ' ' + err.problem.detail : '');
    case 429: return t('error.429');
    case 503: return t('error.503');
    default:
      if (err.status >= 500) return t('error.500');
      if ((err.problem.errors || []).length) return err.problem.errors.map(fieldMessage).join(' ');
      return err.problem.detail || err.problem.title || t('error.500');
  }
}

function sentence(s) {
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');
}

// formValues reads named inputs into an object; dotted names nest.
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) continue;
    const v = el.value.trim();
    if (v === '') continue;
    const parts = el.name.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = o[p] = o[p] || {};
    o[parts[parts.length - 1]] = v;
  }
  return out;
}

const dateFmt = new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
export function when(iso) {
  if (!iso) return '';
  return dateFmt.format(new Date(iso));
}

// decimals is a currency's minor units (ISO 4217) as the browser knows
// them: 2 for CNY, 0 for JPY, 3 for KWD (2 for a code it does not know).
export function decimals(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch (e) {
    return 2;
  }
}

// toMinor turns an amount typed in major units ("1,234.5") into the
// API's minor units. One with more decimals than the currency has (100.5
// yen) is sent with its fraction, so the API refuses it naming the field;
// something that is not a number is sent as -1, refused the same way.
export function toMinor(typed, currency) {
  const s = String(typed).replace(/,/g, '').trim();
  const n = Number(s);
  if (s === '' || !Number.isFinite(n)) return -1;
  const d = decimals(currency);
  const typedDecimals = (s.split('.')[1] || '').length;
  return Number((n * 10 ** d).toFixed(Math.max(0, typedDecimals - d)));
}

export function money(minor, currency) {
  if (minor === undefined || minor === null) return '';
  const major = minor / 10 ** decimals(currency || 'CNY');
  try {
    return new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', { style: 'currency', currency: currency || 'CNY' }).format(major);
  } catch (e) {
    return major.toFixed(2) + ' ' + (currency || '');
  }
}

export function toast(msg) {
  const el = document.getElementById('toast');
  el.textContent = msg;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 3500);
}

// busy disables a form while its request is in flight.
export async function busy(form, fn) {
  const controls = form.querySelectorAll('button, input, select, textarea');
  controls.forEach((c) => (c.dataset.wasDisabled = c.disabled ? '1' : ''));
  controls.forEach((c) => (c.disabled = true));
  try {
    return await fn();
  } finally {
    controls.forEach((c) => (c.disabled = c.dataset.wasDisabled === '1'));
  }
}

export function statusBadge(status) {
  const cls = { closed: 'ok', withdrawn: '', awaiting_approval: 'warn', awaiting_customer: 'warn', awaiting_info: 'warn' }[status] || '';
  return h('span', { class: 'badge ' + cls, 'data-status': status }, tOr('status.' + status, status));
}

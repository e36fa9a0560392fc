// The bell: a staff member's own notifications (GET /v1/me/notifications)
// with the unread count beside the signed-in name, and a list that opens
// under it. Opening one marks it read and goes to its case; the count is
// asked again every minute, so an agent need not watch a chat.
import { t, h, clear, when } from './common.js';

const pageSize = 20;

export function mountBell(anchor, call) {
  const count = h('span', { class: 'bell-count', id: 'bell-count', hidden: true });
  const button = h('button', { type: 'button', class: 'bell', id: 'bell', 'aria-haspopup': 'true', 'aria-expanded': 'false',
    title: t('bell.title') }, bellIcon(), h('span', { class: 'visually-hidden' }, t('bell.title')), count);
  const panel = h('div', { class: 'bell-panel card', id: 'bell-panel', hidden: true, role: 'dialog', 'aria-label': t('bell.title') });
  const wrap = h('span', { class: 'bell-wrap' }, button, panel);
  anchor.after(wrap);

  let items = [];
  let next = '';

  function showCount(n) {
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    button.dataset.unread = String(n);
  }

  async function load(more) {
    const q = '?limit=' + pageSize + (more && next ? '&before=' + encodeURIComponent(next) : '');
    const page = await call('GET', '/v1/me/notifications' + q);
    items = more ? items.concat(page.notifications) : page.notifications;
    next = page.next_before || '';
    showCount(page.unread);
    return page;
  }

  async function open(n, ev) {
    ev.preventDefault();
    if (!n.read) {
      try {
        await call('POST', '/v1/me/notifications/' + n.id + '/read');
      } catch (err) {
        // The case page is still worth opening.
      }
    }
    location.assign(n.link);
  }

  function draw() {
    clear(panel);
    const head = h('div', { class: 'bell-head' }, h('strong', {}, t('bell.title')));
    if (items.some((n) => !n.read)) {
      head.append(h('button', { type: 'button', class: 'link', id: 'bell-read-all', onclick: async () => {
        await call('POST', '/v1/me/notifications/read-all');
        await load(false);
        draw();
      } }, t('bell.read_all')));
    }
    panel.append(head);
    if (items.length === 0) {
      panel.append(h('p', { class: 'muted' }, t('bell.empty')));
      return;
    }
    panel.append(h('ul', { class: 'bell-list', id: 'bell-list' }, items.map((n) =>
      h('li', { class: n.read ? 'read' : 'unread' },
        h('a', { href: n.link, class: 'bell-item', 'data-id': n.id, onclick: (ev) => open(n, ev) },
          // The case number is on the line below: not repeated in each
          // language's subject.
          h('span', { class: 'bell-subject' }, n.subject.replace(/\[CMP-\d{8}-\d{6}\]\s*/g, '')),
          h('span', { class: 'muted bell-when' }, [n.case_number, when(n.created_at)].filter(Boolean).join(' · ')))))));
    if (next) {
      panel.append(h('button', { type: 'button', class: 'link', onclick: async () => { await load(true); draw(); } }, t('bell.more')));
    }
  }

  button.addEventListener('click', async () => {
    const opening = panel.hidden;
    panel.hidden = !opening;
    button.setAttribute('aria-expanded', String(opening));
    if (opening) {
      await load(false);
      draw();
    }
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !panel.hidden) {
      panel.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      button.focus();
    }
  });

  const refresh = () => load(false).catch(() => {});
  refresh();
  setInterval(refresh, 60000);
}

// bellIcon is drawn, not a character: an emoji bell needs a font the
// reader's machine may not have.
function bellIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z');
  svg.append(path);
  return svg;
}

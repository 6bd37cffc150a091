// The order lookup page: sign in (POST /api/auth/login; the access token is kept in this tab's sessionStorage,
// or taken from localStorage 'shop.accessToken' when the storefront left one), enter an order uid, see the
// order from GET /api/orders/:uid laid out for a person. Data is only ever put into the page as text.
/* global document, sessionStorage, localStorage, Node, atob, navigator */
'use strict';
(() => {
  const KEY = 'shop.accessToken';
  const $ = (id) => document.getElementById(id);
  const token = () => sessionStorage.getItem(KEY) || localStorage.getItem(KEY);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function message(text, error) {
    const box = $('message');
    box.textContent = text;
    box.className = error ? 'message error' : 'message';
    box.hidden = !text;
  }

  function claims(jwt) {
    try {
      return JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    } catch {
      return {};
    }
  }

  function show() {
    const t = token();
    $('signin').hidden = !!t;
    $('lookup').hidden = !t;
    if (t) {
      const c = claims(t);
      $('who').textContent = `Signed in${c.email ? ` as ${c.email}` : ''}${c.role === 'admin' ? ' (admin)' : ''}.`;
      $('uid').focus();
    } else {
      $('order').hidden = true;
      $('email').focus();
    }
  }

  function signOut(text) {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
    show();
    message(text || '', !!text);
  }

  function money(minor, currency, locale) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
      return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(minor / 10 ** digits);
    } catch {
      return `${(minor / 10 ** digits).toFixed(digits)} ${currency}`;
    }
  }

  function when(value, locale) {
    const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
    return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
  }

  const STATUS = { placed: 'Placed', paid: 'Paid', payment_failed: 'Payment failed', cancelled: 'Cancelled', shipped: 'Shipped', delivered: 'Delivered' };

  function list(pairs) {
    const dl = el('dl');
    for (const [term, value] of pairs) if (value !== '' && value !== undefined && value !== null) dl.append(el('dt', {}, term), el('dd', {}, value));
    return dl;
  }

  function render(order) {
    const locale = navigator.language || 'en';
    const p = order.payment;
    const d = order.delivery;
    const cur = (v) => money(v, p.currency, locale);
    const root = $('order');
    root.replaceChildren();
    root.append(el('section', { class: 'card', id: 'summary' },
      el('h2', {}, `Order ${order.order_uid}`),
      el('p', {}, el('span', { class: 'status', id: 'status' }, order.status ? STATUS[order.status] || order.status : 'Received'),
        ` placed ${when(order.date_created, locale)} · track number ${order.track_number} · ${order.delivery_service}`),
      el('p', {}, 'Total ', el('strong', { id: 'total' }, cur(p.amount)))));

    root.append(el('div', { class: 'grid' },
      el('section', { class: 'card', id: 'delivery' }, el('h2', {}, 'Delivery'), list([
        ['Name', d.name], ['Phone', d.phone], ['Address', d.address], ['City', d.city], ['Region', d.region], ['Zip', d.zip], ['E-mail', d.email],
      ])),
      el('section', { class: 'card', id: 'payment' }, el('h2', {}, 'Payment'), list([
        ['Goods', cur(p.goods_total)], ['Delivery', cur(p.delivery_cost)], ['Fee', cur(p.custom_fee)], ['Paid', cur(p.amount)],
        ['Provider', p.provider], ['Bank', p.bank], ['Transaction', p.transaction], ['Paid at', when(p.payment_dt, locale)],
      ]))));

    const rows = order.items.map((item) => el('tr', {},
      el('td', {}, item.name, item.size && item.size !== '0' ? el('span', { class: 'muted' }, ` · size ${item.size}`) : ''),
      el('td', {}, item.brand), el('td', { class: 'num' }, cur(item.price)),
      el('td', { class: 'num' }, item.sale ? `−${item.sale}%` : ''), el('td', { class: 'num' }, cur(item.total_price))));
    root.append(el('section', { class: 'card', id: 'items' }, el('h2', {}, `Items (${order.items.length})`),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Item'), el('th', {}, 'Brand'), el('th', { class: 'num' }, 'Price'),
        el('th', { class: 'num' }, 'Sale'), el('th', { class: 'num' }, 'Total'))), el('tbody', {}, ...rows))));

    if (order.history.length) {
      root.append(el('section', { class: 'card', id: 'history' }, el('h2', {}, 'History'),
        el('ol', {}, ...order.history.map((h) => el('li', {}, `${STATUS[h.status] || h.status} — ${when(h.at, locale)}`)))));
    }
    root.hidden = false;
  }

  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    message('');
    const res = await fetch('/api/auth/login', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: $('email').value.trim(), password: $('password').value }),
    }).catch(() => undefined);
    if (!res) return message('The shop cannot be reached. Try again in a moment.', true);
    if (res.status === 401) return message('Wrong e-mail or password.', true);
    if (!res.ok) return message(`Signing in failed (${res.status}). Try again in a moment.`, true);
    const body = await res.json();
    sessionStorage.setItem(KEY, body.accessToken);
    $('password').value = '';
    show();
  });

  $('lookup-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const uid = $('uid').value.trim();
    if (!uid) return;
    message('Looking…');
    $('order').hidden = true;
    const res = await fetch(`/api/orders/${encodeURIComponent(uid)}`, { headers: { authorization: `Bearer ${token()}` } }).catch(() => undefined);
    if (!res) return message('The shop cannot be reached. Try again in a moment.', true);
    if (res.status === 401) return signOut('Your session has ended. Please sign in again.');
    if (res.status === 404 || res.status === 400) return message(`No order “${uid}” was found among your orders. Check the number and try again.`, true);
    if (!res.ok) return message(`The order could not be shown (${res.status}). Try again in a moment.`, true);
    message('');
    render(await res.json());
  });

  $('signout').addEventListener('click', () => signOut());
  show();
})();

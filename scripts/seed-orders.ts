// Demo orders through the public API (the proxy), as shoppers and an operator would: each demo customer fills
// the cart with in-stock items found by search and checks out with the sandbox card (one of them with a card
// that is declined); an admin (created with the sso's operator CLI) ships and delivers some orders, and one
// customer cancels one. Idempotent: each order has a fixed Idempotency-Key (the same request answers the stored
// order for 24 h), a customer who already has orders in the order store is skipped, and repeated status changes
// answer 409 and change nothing. Usage: node scripts/seed-orders.ts [--customers 6] [--orders 6] [--prefix demo]
// (--prefix names the customers <prefix>-customer-N@shop.example and the keys; the tests use their own.)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { api, type ApiRequest } from './api.ts';

const { values } = parseArgs({ options: {
  customers: { type: 'string', default: '6' }, orders: { type: 'string', default: '6' }, prefix: { type: 'string', default: 'demo' },
  proxy: { type: 'string', default: process.env.PROXY_URL ?? 'http://127.0.0.1:8080' },
} });
const CUSTOMERS = Number(values.customers);
const ORDERS = Number(values.orders);
const PREFIX = values.prefix!;
const API = values.proxy!;
const PASSWORD = process.env.DEMO_SELLER_PASSWORD ?? 'demo seller password';
const ADMIN_EMAIL = 'demo-admin@shop.example';
const call = (path: string, init: ApiRequest = {}) => api(API, path, init);

const CITIES = [
  { city: 'Москва', region: 'Москва', zip: '101000', address: 'ул. Тверская, 7', name: 'Иван Петров', phone: '+79991234567' },
  { city: 'Санкт-Петербург', region: 'Санкт-Петербург', zip: '190000', address: 'Невский пр., 28', name: 'Анна Смирнова', phone: '+79817654321' },
  { city: 'Казань', region: 'Татарстан', zip: '420111', address: 'ул. Баумана, 15', name: 'Руслан Галиев', phone: '+79600001122' },
  { city: 'London', region: 'Greater London', zip: 'SW1A 1AA', address: '10 Baker Street', name: 'Emma Brown', phone: '+447700900123' },
];
const APPROVED = '4242424242424242';
const DECLINED = '4000000000000002';

async function signIn(email: string, name: string): Promise<{ token: string; id: string }> {
  const reg = await call('/api/auth/register', { method: 'POST', body: { email, password: PASSWORD, name, role: 'customer' } });
  if (reg.status !== 201 && reg.status !== 409) throw new Error(`register ${email}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call('/api/auth/login', { method: 'POST', body: { email, password: PASSWORD } });
  if (login.status !== 200) throw new Error(`login ${email}: ${login.status} ${JSON.stringify(login.body)}`);
  return { token: login.body.accessToken as string, id: (await call('/api/auth/me', { token: login.body.accessToken })).body.id as string };
}

/** The demo admin: registered, then promoted with the sso's operator CLI (idempotent), then signed in. */
async function admin(): Promise<string> {
  await signIn(ADMIN_EMAIL, 'Demo Admin');
  const cli = fileURLToPath(new URL('../sso/src/cli.ts', import.meta.url));
  const result = spawnSync(process.execPath, [cli, 'create-admin', '--email', ADMIN_EMAIL, '--name', 'Demo Admin'], {
    env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL_SSO ?? 'postgresql://shop:shop@127.0.0.1:5432/sso', ADMIN_PASSWORD: PASSWORD }, encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`create-admin failed: ${result.stderr}`);
  return (await signIn(ADMIN_EMAIL, 'Demo Admin')).token;
}

/** What an order of customer c, number n, ends as (one cancelled, some shipped, some delivered, one declined). */
function plan(c: number, n: number): { card: string; after: ('ship' | 'deliver' | 'cancel')[] } {
  if (c === 2 && n === ORDERS) return { card: DECLINED, after: [] };
  if (c === 1 && n === 2) return { card: APPROVED, after: ['cancel'] };
  if (n % 3 === 0) return { card: APPROVED, after: ['ship', 'deliver'] };
  if (n % 2 === 0) return { card: APPROVED, after: ['ship'] };
  return { card: APPROVED, after: [] };
}

const started = performance.now();
const adminToken = await admin();
// In-stock items of the catalog (newest first); customer c's order n takes lines from its own stretch of the list.
const found = await call(`/api/search?inStock=true&sort=newest&size=100`);
if (found.status !== 200) throw new Error(`search: ${found.status} ${JSON.stringify(found.body)}`);
const items = (found.body.items as { id: string }[]).map((i) => i.id);
const stats = { placed: 0, replayed: 0, declined: 0, outOfStock: 0, skippedCustomers: 0, shipped: 0, delivered: 0, cancelled: 0 };
for (let c = 1; c <= CUSTOMERS; c++) {
  const customer = await signIn(`${PREFIX}-customer-${c}@shop.example`, `Покупатель ${c}`);
  const mine = await call('/api/orders?page=1&size=1', { token: customer.token });
  if (mine.status === 200 && Number(mine.body?.total ?? 0) > 0) {
    stats.skippedCustomers++;
    continue;
  }
  const where = CITIES[c % CITIES.length]!;
  for (let n = 1; n <= ORDERS; n++) {
    const { card, after } = plan(c, n);
    await call('/api/cart', { method: 'DELETE', token: customer.token });
    if (items.length === 0) break; // nothing in stock: nothing to order
    for (let k = 0; k < 1 + (n % 3); k++) {
      const itemId = items[((c - 1) * ORDERS * 3 + (n - 1) * 3 + k) % items.length];
      if (itemId) await call(`/api/cart/items/${itemId}`, { method: 'PUT', token: customer.token, body: { quantity: 1 + ((n + k) % 2) } });
    }
    const res = await call('/api/orders', {
      method: 'POST', token: customer.token, headers: { 'idempotency-key': `${PREFIX}-order-${c}-${n}` },
      body: {
        delivery: { ...where, email: `${PREFIX}-customer-${c}@shop.example` },
        payment: { provider: 'sandbox', card: { number: card, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' } },
      },
    });
    // A replayed key answers the stored order and leaves the cart as filled: empty it either way.
    await call('/api/cart', { method: 'DELETE', token: customer.token });
    const replayed = res.headers.get('idempotent-replayed') === 'true';
    if (replayed) stats.replayed++;
    if (res.status === 402 || res.status === 409) {
      if (!replayed) stats[res.status === 402 ? 'declined' : 'outOfStock']++;
      continue;
    }
    if (res.status !== 201) throw new Error(`POST /api/orders: ${res.status} ${JSON.stringify(res.body)}`);
    if (!replayed) stats.placed++;
    for (const action of after) {
      const token = action === 'cancel' ? customer.token : adminToken;
      const changed = await call(`/api/orders/${res.body.orderUid}/${action}`, { method: 'POST', token });
      if (changed.status === 200) stats[action === 'ship' ? 'shipped' : action === 'deliver' ? 'delivered' : 'cancelled']++;
      else if (changed.status !== 409) throw new Error(`${action} ${res.body.orderUid}: ${changed.status} ${JSON.stringify(changed.body)}`);
    }
  }
}
console.log(JSON.stringify({ orders: stats, customers: CUSTOMERS, seconds: Math.round((performance.now() - started) / 100) / 10 }));

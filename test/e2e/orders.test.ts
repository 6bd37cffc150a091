// Checkout end to end through the proxy: a seller's item in a customer's cart, POST /api/orders at loms
// (through the proxy), the stock taken at item-crud and in search, the cart emptied, the order document on
// `orders` and order.placed + order.paid on `order-events` (read back from Kafka), the buyer's notifications
// and the e-mails the notifier sent to the delivery address (read back from the stack's Mailpit). The proxy
// routes only the writes of /api/orders to loms and never /internal/.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { validateOrderDocument } from '@shop/contracts/orders';
import { api, type ApiRequest } from '../../scripts/api.ts';
import { newAdmin, tapTopic, type Tap } from '../../item-crud/test/helpers.ts';
import { signUp, waitFor } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const MAILPIT = process.env.MAILPIT_URL ?? 'http://127.0.0.1:8025';
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const call = (path: string, init: ApiRequest = {}) => api(PROXY, path, init);
const account = (role: 'seller' | 'customer') =>
  signUp(SSO, { email: `orders-e2e-${role}-${randomUUID()}@test.example`, password: 'orders e2e password', name: `Orders ${role}`, role });

const body = (card = '4242424242424242', email = 'ivan@test.example') => ({
  delivery: { name: 'Ivan Petrov', phone: '+79991234567', zip: '101000', city: 'Moscow', address: 'Tverskaya 7', region: 'Moscow', email },
  payment: { provider: 'sandbox', card: { number: card, expMonth: 1, expYear: new Date().getUTCFullYear() + 3, cvc: '321' } },
});

let orders: Tap;
let events: Tap;
before(async () => {
  [orders, events] = await Promise.all([tapTopic('orders'), tapTopic('order-events')]);
});
after(async () => {
  await Promise.all([orders.close(), events.close()]);
});

describe('checkout through the proxy', () => {
  it('cart → order → stock down at item-crud and in search → the document and the events on Kafka → notifications and e-mails', async () => {
    const [seller, buyer] = await Promise.all([account('seller'), account('customer')]);
    const name = `Orders e2e kettle ${randomUUID().slice(0, 8)}`;
    const created = await call('/api/items', { method: 'POST', token: seller.token, body: { name, brand: 'Bosch', category: 'furniture', price: '2500.50', stock: 3 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    const inStock = async () => (await call(`/api/search?q=${encodeURIComponent(name)}&inStock=true`)).body.items.map((i: { id: string }) => i.id);
    await waitFor('the item in stock in search', async () => ((await inStock()).includes(id) ? true : undefined), 30_000, 200);
    assert.equal((await call(`/api/cart/items/${id}`, { method: 'PUT', token: buyer.token, body: { quantity: 3 } })).status, 200);

    const key = randomUUID();
    const email = `orders-e2e-${randomUUID()}@test.example`;
    const placed = await call('/api/orders', { method: 'POST', token: buyer.token, headers: { 'idempotency-key': key }, body: body(undefined, email) });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(placed.body.total, '7501.50');
    const uid = placed.body.orderUid as string;
    const replay = await call('/api/orders', { method: 'POST', token: buyer.token, headers: { 'idempotency-key': key }, body: body(undefined, email) });
    assert.deepEqual([replay.status, replay.body], [201, placed.body]);

    const item = (await call(`/api/items/${id}`)).body;
    assert.deepEqual([item.stock, item.reserved, item.available], [0, 0, 0]);
    assert.deepEqual((await call('/api/cart', { token: buyer.token })).body.items, []);
    // item.updated went through the outbox and the ETL: search no longer offers it as in stock, but still finds it.
    // (not "no results": a query that finds nothing in stock falls back to relaxed matches of other items)
    await waitFor('the item out of stock in search', async () => (!(await inStock()).includes(id) ? true : undefined), 30_000, 200);
    assert.ok((await call(`/api/search?q=${encodeURIComponent(name)}`)).body.items.some((i: { id: string }) => i.id === id));

    const [doc] = await waitFor('the order document on orders', () => orders.forKeys([uid]).length ? orders.forKeys([uid]) : undefined, 30_000);
    const parsed = JSON.parse(doc!.value.toString());
    assert.ok(validateOrderDocument(parsed).ok);
    assert.equal(parsed.customer_id, buyer.id);
    assert.equal(parsed.items.length, 3);
    assert.equal(parsed.payment.amount, 750150);
    assert.equal(parsed.delivery.email, email);
    const got = await waitFor('order.placed and order.paid', () => events.forKeys([uid]).length >= 2 ? events.forKeys([uid]) : undefined, 30_000);
    const envelopes = got.map((m) => JSON.parse(m.value.toString()));
    assert.deepEqual(envelopes.map((e) => [e.type, e.version, e.data.status]), [['order.placed', 1, 'placed'], ['order.paid', 2, 'paid']]);
    assert.deepEqual(envelopes[1].data.lines, [{ itemId: id, sellerId: seller.id, quantity: 3, price: '2500.50' }]);
    assert.equal(envelopes[1].data.customerId, buyer.id);
    assert.equal(envelopes[1].source, 'loms');

    // The notifier: one notification per event for the buyer, in the order's language (loms's orders are Russian).
    const notes = await waitFor('the buyer\'s notifications', async () => {
      const list = (await call('/api/notifications', { token: buyer.token })).body.items as { kind: string; orderUid: string; title: string }[];
      return list.length >= 2 ? list : undefined;
    }, 30_000, 200);
    // (placed and paid happen in the same millisecond, so the newest-first list may show them either way round)
    assert.deepEqual(notes.map((n) => [n.kind, n.orderUid, n.title]).sort(), [['order.paid', uid, `Заказ ${uid} оплачен`], ['order.placed', uid, `Заказ ${uid} оформлен`]]);
    // ... and one e-mail each to the delivery address, through SMTP to Mailpit.
    const mails = await waitFor('two e-mails at Mailpit', async () => {
      const res = await fetch(`${MAILPIT}/api/v1/search?query=${encodeURIComponent(`to:"${email}"`)}`);
      assert.equal(res.status, 200);
      const found = (await res.json() as { messages: { ID: string; Subject: string }[] }).messages;
      return found.length >= 2 ? found : undefined;
    }, 30_000, 250);
    assert.deepEqual(mails.map((m) => m.Subject).sort(), [`Заказ ${uid} оплачен`, `Заказ ${uid} оформлен`]);
    const paidMail = await (await fetch(`${MAILPIT}/api/v1/message/${mails.find((m) => m.Subject.endsWith('оплачен'))!.ID}`)).json() as { Text: string; To: { Address: string }[] };
    assert.deepEqual(paidMail.To.map((t) => t.Address), [email]);
    assert.match(paidMail.Text, new RegExp(`Оплата 7\\s?501,50\\s₽ за заказ ${uid} прошла`));
  });

  it('the lifecycle through the proxy: the customer cannot ship (403), an admin ships and delivers, the customer cannot cancel then (409)', async () => {
    const [seller, buyer, admin] = await Promise.all([account('seller'), account('customer'), newAdmin()]);
    const created = await call('/api/items', { method: 'POST', token: seller.token, body: { name: `Orders e2e lamp ${randomUUID().slice(0, 6)}`, brand: 'Ikea', category: 'furniture', price: '10.00', stock: 1 } });
    assert.equal((await call(`/api/cart/items/${created.body.id}`, { method: 'PUT', token: buyer.token, body: { quantity: 1 } })).status, 200);
    const placed = await call('/api/orders', { method: 'POST', token: buyer.token, headers: { 'idempotency-key': randomUUID() }, body: body() });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const uid = placed.body.orderUid as string;
    assert.equal((await call(`/api/orders/${uid}/ship`, { method: 'POST', token: buyer.token })).status, 403);
    const shipped = await call(`/api/orders/${uid}/ship`, { method: 'POST', token: admin.token });
    assert.deepEqual([shipped.status, shipped.body.status], [200, 'shipped']);
    assert.equal((await call(`/api/orders/${uid}/cancel`, { method: 'POST', token: buyer.token })).status, 409);
    const delivered = await call(`/api/orders/${uid}/deliver`, { method: 'POST', token: admin.token });
    assert.deepEqual([delivered.status, delivered.body.status, delivered.body.version], [200, 'delivered', 4]);
    const got = await waitFor('order.shipped and order.delivered', () => events.forKeys([uid]).length >= 4 ? events.forKeys([uid]) : undefined, 30_000);
    assert.deepEqual(got.map((m) => JSON.parse(m.value.toString()).type), ['order.placed', 'order.paid', 'order.shipped', 'order.delivered']);
  });

  it('a declined card through the proxy: 402, nothing reserved', async () => {
    const [seller, buyer] = await Promise.all([account('seller'), account('customer')]);
    const created = await call('/api/items', { method: 'POST', token: seller.token, body: { name: `Orders e2e mug ${randomUUID().slice(0, 6)}`, brand: 'Ikea', category: 'furniture', price: '99.00', stock: 2 } });
    const id = created.body.id as string;
    assert.equal((await call(`/api/cart/items/${id}`, { method: 'PUT', token: buyer.token, body: { quantity: 2 } })).status, 200);
    const res = await call('/api/orders', { method: 'POST', token: buyer.token, headers: { 'idempotency-key': randomUUID() }, body: body('4000000000000002') });
    assert.equal(res.status, 402);
    assert.equal(res.body.type, 'urn:shop:problem:payment-declined');
    const item = (await call(`/api/items/${id}`)).body;
    assert.deepEqual([item.stock, item.reserved], [2, 0]);
  });

  it('needs a token (401), routes only the writes to loms, documents POST /api/orders with a required Idempotency-Key', async () => {
    const res = await call('/api/orders', { method: 'POST', headers: { 'idempotency-key': randomUUID() }, body: body() });
    assert.equal(res.status, 401);
    const doc = (await call('/docs/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>> };
    // /api/orders is shared by method: loms documents the POST, the orders service the GET (the order store's list).
    assert.deepEqual(Object.keys(doc.paths['/api/orders'] ?? {}).sort(), ['get', 'post']);
    for (const action of ['cancel', 'ship', 'deliver']) assert.deepEqual(Object.keys(doc.paths[`/api/orders/{uid}/${action}`] ?? {}), ['post']);
    const header = doc.paths['/api/orders']!.post!.parameters?.find((p) => p.in === 'header' && p.name === 'idempotency-key');
    assert.equal(header?.required, true);
    const customer = await account('customer');
    assert.equal((await call(`/internal/reservations/${randomUUID()}`, { method: 'POST', token: customer.token, body: {} })).status, 404, 'the proxy never routes /internal/');
  });
});

// Checkout against the real PostgreSQL and Kafka and the running sso, item-crud and cart (loms in-process).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { validateOrderDocument } from '@shop/contracts/orders';
import type pg from 'pg';
import { cartItems, checkoutBody, createItem, item, person, pool, putInCart, registerClient, startApp } from './helpers.ts';

let app: App;
let db: pg.Pool;
let seller: { id: string; token: string };
before(async () => {
  app = await startApp(registerClient());
  db = pool();
  seller = await person('seller');
});
after(async () => {
  await app.close();
  await db.end();
});

const order = (token: string, body: unknown, key: string | null = randomUUID()) =>
  app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}`, ...(key === null ? {} : { 'idempotency-key': key }) }, payload: body as object });

const outbox = async (uid: string) => (await db.query<{ topic: string; payload: { type?: string; version?: number; data?: { status: string } } & Record<string, unknown> }>('SELECT topic, payload FROM outbox WHERE key = $1 ORDER BY id', [uid])).rows;

describe('POST /api/orders', () => {
  it('orders the cart: priced by item-crud, stock taken, the document and events in the outbox, the cart emptied', async () => {
    const buyer = await person('customer');
    const a = await createItem(seller.token, 5, '1999.90');
    const b = await createItem(seller.token, 3, '10.05');
    await putInCart(buyer.token, a.id, 2);
    await putInCart(buyer.token, b.id, 1);
    const res = await order(buyer.token, checkoutBody());
    assert.equal(res.statusCode, 201, res.body);
    const placed = res.json();
    assert.equal(placed.status, 'paid');
    assert.equal(placed.total, '4009.85');
    assert.equal(placed.currency, 'RUB');
    assert.deepEqual([await item(a.id), await item(b.id)].map((i) => [i.stock, i.reserved]), [[3, 0], [2, 0]]);
    assert.deepEqual(await cartItems(buyer.token), []);

    const rows = await outbox(placed.orderUid);
    assert.deepEqual(rows.map((r) => [r.topic, r.payload.type ?? null]), [['orders', null], ['order-events', 'order.placed'], ['order-events', 'order.paid']]);
    const doc = rows[0]!.payload as never;
    assert.ok(validateOrderDocument(doc).ok);
    const d = rows[0]!.payload as { customer_id: string; payment: { amount: number; goods_total: number; provider: string }; items: { rid: string; nm_id: number; chrt_id: number; price: number }[] };
    assert.equal(d.customer_id, buyer.id);
    assert.equal(d.payment.amount, 400985);
    assert.equal(d.payment.provider, 'sandbox');
    assert.equal(d.items.length, 3, 'one entry per unit');
    assert.equal(new Set(d.items.map((i) => i.rid)).size, 3);
    assert.deepEqual(d.items.map((i) => [i.nm_id, i.chrt_id, i.price]).sort(), [[a.article, a.article, 199990], [a.article, a.article, 199990], [b.article, b.article, 1005]].sort());
    assert.deepEqual(rows.slice(1).map((r) => [r.payload.version, r.payload.data!.status]), [[1, 'placed'], [2, 'paid']]);
    const stored = await db.query('SELECT card_last4, document::text FROM orders WHERE uid = $1', [placed.orderUid]);
    assert.equal(stored.rows[0].card_last4, '4242');
    assert.ok(!stored.rows[0].document.includes('4242424242424242'), 'the card number is not stored');
  });

  it('replays the stored answer for the same key and body; another body is a 422; concurrent requests of one key make one order', async () => {
    const buyer = await person('customer');
    const a = await createItem(seller.token, 10);
    await putInCart(buyer.token, a.id, 1);
    const key = randomUUID();
    const results = await Promise.all([order(buyer.token, checkoutBody(), key), order(buyer.token, checkoutBody(), key), order(buyer.token, checkoutBody(), key)]);
    const created = results.filter((r) => r.statusCode === 201);
    assert.equal(created.length, 1, results.map((r) => `${r.statusCode} ${r.body}`).join('\n'));
    assert.ok(results.every((r) => r.statusCode === 201 || r.statusCode === 409));
    const again = await order(buyer.token, checkoutBody(), key);
    assert.equal(again.statusCode, 201);
    assert.deepEqual(again.json(), created[0]!.json());
    assert.equal(again.headers['idempotent-replayed'], 'true');
    const other = await order(buyer.token, checkoutBody('4242424242424242', { city: 'Kazan' }), key);
    assert.equal(other.statusCode, 422);
    assert.equal((await item(a.id)).stock, 9, 'one order, one unit');
    const { rows } = await db.query('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [buyer.id]);
    assert.equal(rows[0].n, 1);

    // Keys are per user: another person's request with the same key is their own.
    const someoneElse = await person('customer');
    await putInCart(someoneElse.token, a.id, 1);
    const theirs = await order(someoneElse.token, checkoutBody(), key);
    assert.equal(theirs.statusCode, 201, theirs.body);
    assert.notEqual(theirs.json().orderUid, created[0]!.json().orderUid);
  });

  for (const [card, reason] of [['4000000000000002', 'declined'], ['4000000000009995', 'insufficient_funds']] as const) {
    it(`a ${reason} card is a 402 payment-declined: nothing stays reserved, the order is payment_failed`, async () => {
      const buyer = await person('customer');
      const a = await createItem(seller.token, 4);
      await putInCart(buyer.token, a.id, 2);
      const key = randomUUID();
      const res = await order(buyer.token, checkoutBody(card), key);
      assert.equal(res.statusCode, 402, res.body);
      assert.match(res.headers['content-type'] as string, /problem\+json/);
      assert.equal(res.json().type, 'urn:shop:problem:payment-declined');
      assert.equal(res.json().reason, reason);
      assert.deepEqual(await item(a.id).then((i) => [i.stock, i.reserved]), [4, 0]);
      assert.equal((await cartItems(buyer.token)).length, 1, 'the cart stays');
      const uid = res.json().orderUid as string;
      assert.deepEqual((await outbox(uid)).map((r) => r.payload.type), ['order.placed', 'order.payment_failed']);
      const replay = await order(buyer.token, checkoutBody(card), key);
      assert.equal(replay.statusCode, 402);
      assert.deepEqual(replay.json(), res.json());
    });
  }

  it('50 concurrent checkouts for the last 10 units: exactly 10 paid, stock 0', async () => {
    const a = await createItem(seller.token, 10);
    const buyers: { token: string }[] = [];
    for (let i = 0; i < 50; i++) buyers.push(await person('customer')); // one at a time: the sso throttles bursts of sign-ins
    for (const b of buyers) await putInCart(b.token, a.id, 1);
    const results = await Promise.all(buyers.map((b) => order(b.token, checkoutBody())));
    const statuses = results.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 201).length, 10, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 40, statuses.join(','));
    for (const r of results.filter((x) => x.statusCode === 409)) assert.equal(r.json().type, 'urn:shop:problem:out-of-stock');
    assert.deepEqual(await item(a.id).then((i) => [i.stock, i.reserved]), [0, 0]);
  });

  it('bad input is a 400 and changes nothing: no key, a short key, Luhn, an expired card, missing delivery fields, NUL, an empty cart', async () => {
    const buyer = await person('customer');
    const a = await createItem(seller.token, 3);
    await putInCart(buyer.token, a.id, 1);
    const expired = checkoutBody();
    expired.payment.card.expYear = 2020;
    const { email: _, ...noEmail } = checkoutBody().delivery;
    const cases: [string, unknown, string | null][] = [
      ['no key', checkoutBody(), null],
      ['short key', checkoutBody(), 'short'],
      ['luhn', checkoutBody('4242424242424241'), randomUUID()],
      ['expired', expired, randomUUID()],
      ['no email', { ...checkoutBody(), delivery: noEmail }, randomUUID()],
      ['NUL', checkoutBody('4242424242424242', { name: 'Te\u0000st' }), randomUUID()],
      ['other provider', { ...checkoutBody(), payment: { ...checkoutBody().payment, provider: 'paypal' } }, randomUUID()],
    ];
    for (const [what, body, key] of cases) {
      const res = await order(buyer.token, body, key);
      assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
    }
    assert.deepEqual(await item(a.id).then((i) => [i.stock, i.reserved]), [3, 0]);
    assert.equal((await db.query('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [buyer.id])).rows[0].n, 0);
    const empty = await person('customer');
    const res = await order(empty.token, checkoutBody());
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().type, 'urn:shop:problem:empty-cart');
  });

  it('needs a signed-in person: no token is a 401', async () => {
    assert.equal((await app.inject({ method: 'POST', url: '/api/orders', headers: { 'idempotency-key': randomUUID() }, payload: checkoutBody() })).statusCode, 401);
  });
});

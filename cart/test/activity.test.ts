// The cart's activity events: add_to_cart for units added (with the unit price), remove_from_cart for units
// taken out or a line removed, nothing for a change that changes nothing; keyed by the user, carrying the
// caller's anonymous id. Kafka unreachable: the cart answers as before.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { activityEnd, readActivity } from '../../analytics/test/helpers.ts';
import { newItem, newUser, startApp, type CartApp, type User } from './helpers.ts';

const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
let app: CartApp;
let seller: User;
before(async () => {
  seller = await newUser('seller');
  app = await startApp({ KAFKA_BROKERS });
});
after(async () => {
  await app?.close();
});

describe('cart activity', () => {
  it('emits the units added and taken out, with the user and anonymous id', async () => {
    const since = await activityEnd();
    const buyer = await newUser();
    const item = await newItem(seller);
    const anon = `anon-${randomBytes(6).toString('hex')}`;
    const headers = { ...buyer.auth, 'x-anonymous-id': anon };
    for (const [method, quantity] of [['PUT', 2], ['PUT', 5], ['PUT', 5], ['PUT', 1], ['DELETE', 0], ['DELETE', 0]] as const) {
      const res = await app.inject({ method, url: `/api/cart/items/${item.id}`, headers, ...(method === 'PUT' ? { payload: { quantity } } : {}) });
      assert.equal(res.statusCode, 200, res.body);
    }
    const events = await readActivity(since, (e) => e.itemId === item.id, (found) => found.length >= 4);
    assert.deepEqual(events.map((e) => [e.type, e.quantity, e.value, e.currency]), [
      ['add_to_cart', 2, '1999.90', 'RUB'], ['add_to_cart', 3, '1999.90', 'RUB'], ['remove_from_cart', 4, undefined, undefined], ['remove_from_cart', 1, undefined, undefined],
    ]);
    assert.ok(events.every((e) => e.userId === buyer.id && e.anonymousId === anon));
  });

  it('emptying the cart (DELETE /api/cart) is a remove_from_cart per line with its quantity', async () => {
    const since = await activityEnd();
    const buyer = await newUser();
    const [a, b] = [await newItem(seller), await newItem(seller)];
    for (const [item, quantity] of [[a, 2], [b, 3]] as const) {
      assert.equal((await app.inject({ method: 'PUT', url: `/api/cart/items/${item.id}`, headers: buyer.auth, payload: { quantity } })).statusCode, 200);
    }
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/cart', headers: buyer.auth })).statusCode, 204);
    const events = await readActivity(since, (e) => e.userId === buyer.id, (found) => found.length >= 4);
    const removed = events.filter((e) => e.type === 'remove_from_cart').map((e) => [e.itemId, e.quantity]).sort();
    assert.deepEqual(removed, [[a.id, 2], [b.id, 3]].sort());
  });

  it('Kafka unreachable: the cart works and stays ready', async () => {
    const offline = await startApp({ KAFKA_BROKERS: '127.0.0.1:1' });
    try {
      const buyer = await newUser();
      const item = await newItem(seller);
      const res = await offline.inject({ method: 'PUT', url: `/api/cart/items/${item.id}`, headers: buyer.auth, payload: { quantity: 1 } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal((await offline.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
      assert.match((await offline.inject({ method: 'GET', url: '/metrics' })).body, /activity_emit_buffer\{[^}]*\} 1/);
    } finally {
      await offline.close();
    }
  });
});

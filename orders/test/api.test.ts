// GET /api/orders/:uid and GET /api/orders through app.inject with real tokens from the running sso: the
// customer and admins see an order, anyone else 404; lists are the caller's own (admins: all, or one
// customer's); the Redis cache is filled on write and on a miss, bounded (least recently used evicted),
// warmed at start before ready, and skipped when Redis is down (PostgreSQL answers).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Admin } from 'kafkajs';
import type { OrderDocument } from '../src/services/validation.ts';
import {
  closeProducer, createTestTopics, dropTestTopics, eventMessage, generator, isolation, kafka, newAdmin, newUser, orderEvent, send, startOrders, suffix, waitFor,
  type OrdersApp, type User,
} from './helpers.ts';

const env = isolation();
const prefix = `api${suffix()}`;
let admin: Admin;
let app: OrdersApp;
const apps: OrdersApp[] = [];
let alice: User;
let bob: User;
let root: User;
const aliceOrders: OrderDocument[] = [];
let external: OrderDocument;

const start = async (extra: Record<string, string> = {}) => {
  const service = await startOrders({ ...env, ...extra });
  apps.push(service);
  return service;
};
const get = (service: OrdersApp, url: string, user?: User) => service.app.inject({ method: 'GET', url, headers: user ? user.auth : {} });
const publish = async (docs: OrderDocument[]) => {
  await send(env.ORDERS_TOPIC!, docs.map((d) => ({ key: d.order_uid, value: Buffer.from(JSON.stringify(d)) })));
  for (const d of docs) await waitFor(`${d.order_uid} stored`, () => app.repo.find(d.order_uid), 20_000);
};

before(async () => {
  admin = kafka().admin();
  await admin.connect();
  await createTestTopics(admin, env);
  [alice, bob, root] = await Promise.all([newUser('customer', 'alice'), newUser('customer', 'bob'), newAdmin()]);
  app = await start();
  const gen = generator({ uidPrefix: prefix, customerId: alice.id });
  const base = Date.parse('2026-11-01T10:00:00Z');
  for (let i = 0; i < 5; i++) aliceOrders.push({ ...gen.order(), date_created: new Date(base + i * 3600_000).toISOString().replace('.000', '') });
  external = { ...generator({ uidPrefix: `${prefix}x`, customerId: 'marketplace-42' }).order(), date_created: '2026-11-02T10:00:00Z' };
  await publish([...aliceOrders, external]);
});
after(async () => {
  for (const service of apps) await service.app.close();
  await closeProducer();
  await dropTestTopics(admin, env);
  await admin.disconnect();
});

describe('orders: reads', () => {
  it('shows an order to its customer and to admins; another customer and an outside channel\'s order get 404; no token 401', async () => {
    const uid = aliceOrders[0]!.order_uid;
    const own = await get(app, `/api/orders/${uid}`, alice);
    assert.equal(own.statusCode, 200);
    const body = own.json();
    assert.equal(body.order_uid, uid);
    assert.deepEqual(body.items, aliceOrders[0]!.items);
    assert.equal(body.status, null);
    assert.deepEqual(body.history, []);
    assert.equal((await get(app, `/api/orders/${uid}`, root)).statusCode, 200);
    const other = await get(app, `/api/orders/${uid}`, bob);
    assert.equal(other.statusCode, 404);
    assert.match(other.headers['content-type'] as string, /^application\/problem\+json/);
    assert.ok(!other.body.includes(aliceOrders[0]!.delivery.email));
    assert.equal((await get(app, `/api/orders/${external.order_uid}`, alice)).statusCode, 404);
    assert.equal((await get(app, `/api/orders/${external.order_uid}`, root)).json().customer_id, 'marketplace-42');
    assert.equal((await get(app, `/api/orders/${prefix}nosuch`, root)).statusCode, 404);
    assert.equal((await get(app, `/api/orders/${uid}`)).statusCode, 401);
    assert.equal((await get(app, `/api/orders/${'x'.repeat(65)}`, alice)).statusCode, 400);
  });

  it('lists the caller\'s own orders newest first with paging; admins all or one customer\'s; another\'s id as a customer: empty', async () => {
    const page1 = (await get(app, '/api/orders?page=1&size=2', alice)).json();
    assert.equal(page1.total, 5);
    assert.deepEqual(page1.items.map((o: OrderDocument) => o.order_uid), [aliceOrders[4]!.order_uid, aliceOrders[3]!.order_uid]);
    const page3 = (await get(app, '/api/orders?page=3&size=2', alice)).json();
    assert.deepEqual(page3.items.map((o: OrderDocument) => o.order_uid), [aliceOrders[0]!.order_uid]);
    assert.equal((await get(app, '/api/orders', bob)).json().total, 0);
    assert.equal((await get(app, `/api/orders?customerId=${alice.id}`, bob)).json().total, 0);
    assert.equal((await get(app, `/api/orders?customerId=${alice.id}`, root)).json().total, 5);
    const mine = (await get(app, `/api/orders?customerId=${alice.id}`, alice)).json();
    assert.equal(mine.total, 5);
    const all = (await get(app, '/api/orders?size=100', root)).json();
    assert.ok(all.total >= 6);
    assert.equal((await get(app, '/api/orders?size=0', alice)).statusCode, 400);
    assert.equal((await get(app, '/api/orders?size=101', alice)).statusCode, 400);
    assert.equal((await get(app, '/api/orders?page=x', alice)).statusCode, 400);
    assert.equal((await get(app, '/api/orders')).statusCode, 401);
  });

  it('caches on write: the first read is a hit, the answer the same as the database\'s', async () => {
    const uid = aliceOrders[1]!.order_uid;
    const res = await get(app, `/api/orders/${uid}`, alice);
    assert.equal(res.headers['x-cache'], 'hit');
    assert.deepEqual(res.json(), JSON.parse((await app.repo.find(uid))!.json));
  });

  it('re-caches an order whose status changed; a read that began before a write never puts the older answer back', async () => {
    const doc = aliceOrders[3]!;
    assert.equal((await get(app, `/api/orders/${doc.order_uid}`, alice)).headers['x-cache'], 'hit');
    await send(env.ORDER_EVENTS_TOPIC!, [eventMessage(orderEvent('order.placed', { orderUid: doc.order_uid, customerId: alice.id }, 1))]);
    const res = await waitFor('the new status served', async () => {
      const r = await get(app, `/api/orders/${doc.order_uid}`, alice);
      return r.json().status === 'placed' ? r : undefined;
    });
    assert.equal(res.headers['x-cache'], 'hit');
    // A miss's fill (not fresh) does not replace a cached answer; a write's fill (fresh) does.
    const stale = { customerId: alice.id, json: JSON.stringify({ ...res.json(), status: null, history: [] }) };
    assert.equal(await app.cache.put([{ orderUid: doc.order_uid, order: stale }]), true);
    assert.equal((await get(app, `/api/orders/${doc.order_uid}`, alice)).json().status, 'placed');
    await app.cache.put([{ orderUid: doc.order_uid, order: stale }], true);
    assert.equal((await get(app, `/api/orders/${doc.order_uid}`, alice)).json().status, null);
    await app.orders.refresh([doc.order_uid]);
    assert.equal((await get(app, `/api/orders/${doc.order_uid}`, alice)).json().status, 'placed');
  });

  it('keeps at most CACHE_MAX_ENTRIES orders, evicting the least recently used; a miss fills it', async () => {
    const small = await start({ ORDERS_GROUP: `${env.ORDERS_GROUP}-small`, ORDER_EVENTS_GROUP: `${env.ORDER_EVENTS_GROUP}-small`, REDIS_KEY_PREFIX: `${env.REDIS_KEY_PREFIX}small:`, CACHE_MAX_ENTRIES: '3', CACHE_WARM_COUNT: '0' });
    const uids = aliceOrders.map((o) => o.order_uid);
    // Its group re-reads the topic: every order is a duplicate, nothing is filled on write. Misses fill it.
    for (const uid of uids) assert.equal((await get(small, `/api/orders/${uid}`, alice)).headers['x-cache'], 'miss');
    assert.equal(await small.cache.size(), 3);
    await get(small, `/api/orders/${uids[2]}`, alice); // the oldest of the last three, used again
    await get(small, `/api/orders/${uids[0]}`, alice); // a miss: evicts the least recently used (uids[3])
    assert.equal((await get(small, `/api/orders/${uids[2]}`, alice)).headers['x-cache'], 'hit');
    assert.equal((await get(small, `/api/orders/${uids[0]}`, alice)).headers['x-cache'], 'hit');
    assert.equal((await get(small, `/api/orders/${uids[4]}`, alice)).headers['x-cache'], 'hit');
    assert.equal(await small.cache.size(), 3);
    assert.equal((await get(small, `/api/orders/${uids[3]}`, alice)).headers['x-cache'], 'miss');
    await small.app.close();
    apps.splice(apps.indexOf(small), 1);
  });

  it('warms the most recent orders into the cache before it reports ready', async () => {
    const warm = await start({ ORDERS_GROUP: `${env.ORDERS_GROUP}-warm`, ORDER_EVENTS_GROUP: `${env.ORDER_EVENTS_GROUP}-warm`, REDIS_KEY_PREFIX: `${env.REDIS_KEY_PREFIX}warm:`, CACHE_WARM_COUNT: '50' });
    const recent = await warm.repo.recentUids(50);
    assert.ok(recent.length > 0);
    const { rows } = await warm.app.pg.query<{ uid: string }>('SELECT order_uid AS uid FROM orders ORDER BY created_at DESC, id DESC LIMIT 1');
    const res = await get(warm, `/api/orders/${rows[0]!.uid}`, root);
    assert.equal(res.headers['x-cache'], 'hit');
    assert.equal((await warm.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
    await warm.app.close();
    apps.splice(apps.indexOf(warm), 1);
  });

  it('answers from PostgreSQL when Redis is down (and stays ready)', async () => {
    const blind = await start({ ORDERS_GROUP: `${env.ORDERS_GROUP}-blind`, ORDER_EVENTS_GROUP: `${env.ORDER_EVENTS_GROUP}-blind`, REDIS_URL: 'redis://127.0.0.1:1' });
    const uid = aliceOrders[2]!.order_uid;
    const res = await get(blind, `/api/orders/${uid}`, alice);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-cache'], 'miss');
    assert.equal(res.json().order_uid, uid);
    assert.equal((await get(blind, `/api/orders/${uid}`, bob)).statusCode, 404);
    assert.equal((await get(blind, '/api/orders', alice)).json().total, 5);
    assert.equal((await blind.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
    await blind.app.close();
    apps.splice(apps.indexOf(blind), 1);
  });

  it('serves the lookup page and its script', async () => {
    const page = await app.app.inject({ method: 'GET', url: '/orders/lookup' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);
    assert.match(page.body, /\/orders\/lookup\/app\.js/);
    const script = await app.app.inject({ method: 'GET', url: '/orders/lookup/app.js' });
    assert.equal(script.statusCode, 200);
    assert.match(script.headers['content-type'] as string, /javascript/);
  });
});

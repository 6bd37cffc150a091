// Stock reservations (/internal/reservations) against the real PostgreSQL and Kafka, with service tokens
// issued by the running sso to a client registered through its CLI, and user tokens for the refusals.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '@shop/kit';
import { SWEEP_LOCK_NAME } from '../src/repositories/reservations.ts';
import { waitFor } from '../../test/support.ts';
import {
  createItem, newServiceToken, newUser, outboxRows, patchItem, pool, startApp, tapTopic,
  type ItemJson, type Problem, type Tap, type User,
} from './helpers.ts';

interface Line { itemId: string; article: number; sellerId: string; name: string; brand: string; quantity: number; price: string; currency: string }
interface Reservation { orderUid: string; state: string; releaseReason: string | null; expiresAt: string; createdAt: string; committedAt: string | null; releasedAt: string | null; lines: Line[] }

let app: App;
let seller: User;
let customer: User;
let service: { authorization: string };
let db: ReturnType<typeof pool>;
let tap: Tap;

before(async () => {
  // A short sweep interval: the expiry test waits for the sweeper, not for a timer of its own.
  app = await startApp({ RESERVATION_SWEEP_INTERVAL_MS: '100' });
  [seller, customer] = await Promise.all([newUser('seller', 'res-seller'), newUser('customer', 'res-customer')]);
  service = { authorization: `Bearer ${await newServiceToken(['stock:reserve'])}` };
  db = pool();
  tap = await tapTopic('item-events');
});

after(async () => {
  await tap?.close();
  await db?.end();
  await app?.close();
});

const orderUid = () => `test-order-${randomUUID()}`;
const reserve = (body: unknown, headers: Record<string, string> = service) =>
  app.inject({ method: 'POST', url: '/internal/reservations', headers, payload: body as Record<string, unknown> });
const act = (uid: string, action: 'commit' | 'release' | 'restock', headers: Record<string, string> = service) =>
  app.inject({ method: 'POST', url: `/internal/reservations/${encodeURIComponent(uid)}/${action}`, headers });
const item = async (id: string) => {
  const res = await app.inject({ method: 'GET', url: `/api/items/${id}`, headers: seller.auth });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<ItemJson>();
};
const ok = <T>(res: LightMyRequestResponse, status = 200): T => {
  assert.equal(res.statusCode, status, res.body);
  return res.json<T>();
};
const problemOf = (res: LightMyRequestResponse, status: number, message?: string): Problem => {
  assert.equal(res.statusCode, status, `${message ?? ''} ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  return res.json<Problem>();
};
const heldUnits = async (itemId: string) =>
  Number((await db.query<{ n: string }>(`SELECT coalesce(sum(quantity), 0) AS n FROM reservations WHERE item_id = $1 AND state = 'held'`, [itemId])).rows[0]!.n);

describe('who may call', () => {
  it('needs a service token with stock:reserve: none is a 401, a user token a 403, another scope a 403', async () => {
    const a = await createItem(app, seller, { stock: 3 });
    const body = { orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 1 }] };
    problemOf(await reserve(body, {}), 401);
    problemOf(await reserve({}, {}), 401, 'the token is checked before the body');
    problemOf(await reserve({}, customer.auth), 403);
    problemOf(await reserve(body, customer.auth), 403);
    problemOf(await reserve(body, seller.auth), 403);
    const other = { authorization: `Bearer ${await newServiceToken(['other:scope'])}` };
    problemOf(await reserve(body, other), 403);
    problemOf(await act(body.orderUid, 'commit', customer.auth), 403);
    problemOf(await act(body.orderUid, 'release', {}), 401);
    assert.equal((await item(a.id)).reserved, 0, 'nothing was reserved by the refused calls');
    ok(await reserve(body), 201);
  });
});

describe('reserving', () => {
  it('holds every line or none, answering prices and article numbers', async () => {
    const a = await createItem(app, seller, { stock: 5, price: '100.50' });
    const b = await createItem(app, seller, { stock: 2, price: '7' });
    const uid = orderUid();

    const short = problemOf(await reserve({ orderUid: uid, lines: [{ itemId: a.id, quantity: 3 }, { itemId: b.id, quantity: 3 }] }), 409);
    assert.equal(short.type, 'urn:shop:problem:out-of-stock');
    assert.deepEqual(short.lines, [{ itemId: b.id, requested: 3, available: 2 }]);
    assert.equal((await item(a.id)).reserved, 0, 'the line that fitted was not held either');
    assert.equal(await heldUnits(a.id), 0);

    const held = ok<Reservation>(await reserve({ orderUid: uid, lines: [{ itemId: b.id, quantity: 2 }, { itemId: a.id, quantity: 3 }] }), 201);
    assert.equal(held.state, 'held');
    assert.equal(held.orderUid, uid);
    assert.deepEqual(held.lines.map((l) => [l.itemId, l.quantity, l.price, l.currency, l.article, l.sellerId]).sort(), [
      [a.id, 3, '100.50', 'RUB', a.article, seller.id], [b.id, 2, '7.00', 'RUB', b.article, seller.id],
    ].sort());
    const expires = Date.parse(held.expiresAt) - Date.parse(held.createdAt);
    assert.ok(expires > 14 * 60_000 && expires <= 15 * 60_000 + 1_000, `default TTL 15 min, got ${expires} ms`);

    const [ra, rb] = [await item(a.id), await item(b.id)];
    assert.deepEqual([ra.stock, ra.reserved, ra.available, ra.version], [5, 3, 2, 1], 'reserving is no item change: same version');
    assert.deepEqual([rb.stock, rb.reserved, rb.available], [2, 2, 0]);
    const public_ = await app.inject({ method: 'GET', url: `/api/items/${b.id}` });
    assert.equal(public_.json<ItemJson>().available, 0, 'the public item says nothing is left to buy');
    problemOf(await reserve({ orderUid: orderUid(), lines: [{ itemId: b.id, quantity: 1 }] }), 409);
  });

  it('refuses unknown, deleted and hidden items, and bad bodies, holding nothing', async () => {
    const a = await createItem(app, seller, { stock: 5 });
    const gone = await createItem(app, seller, { stock: 5 });
    const hidden = await createItem(app, seller, { stock: 5 });
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/items/${gone.id}`, headers: seller.auth })).statusCode, 204);
    await db.query(`UPDATE items SET status = 'hidden' WHERE id = $1`, [hidden.id]);
    const unknown = randomUUID();

    const notFound = problemOf(await reserve({ orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 1 }, { itemId: unknown, quantity: 1 }, { itemId: gone.id, quantity: 1 }] }), 404);
    assert.deepEqual([...(notFound.itemIds as string[])].sort(), [unknown, gone.id].sort());
    const unavailable = problemOf(await reserve({ orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 1 }, { itemId: hidden.id, quantity: 1 }] }), 409);
    assert.equal(unavailable.type, 'urn:shop:problem:item-unavailable');
    assert.deepEqual(unavailable.itemIds, [hidden.id]);

    problemOf(await reserve({ orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 1 }, { itemId: a.id, quantity: 2 }] }), 400);
    problemOf(await reserve({ orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 0 }] }), 400);
    problemOf(await reserve({ orderUid: orderUid(), lines: [] }), 400);
    problemOf(await reserve({ orderUid: '', lines: [{ itemId: a.id, quantity: 1 }] }), 400);
    problemOf(await reserve({ orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 1 }], price: '1.00' }), 400);
    assert.equal((await item(a.id)).reserved, 0);
  });

  it('is idempotent per order: the same lines again answer the same reservation, other lines a 422', async () => {
    const a = await createItem(app, seller, { stock: 4 });
    const uid = orderUid();
    const body = { orderUid: uid, lines: [{ itemId: a.id, quantity: 3 }] };
    const first = ok<Reservation>(await reserve(body), 201);
    const again = ok<Reservation>(await reserve({ ...body, ttlSeconds: 5 }));
    assert.deepEqual(again, first);
    assert.equal((await item(a.id)).reserved, 3, 'held once');
    const other = problemOf(await reserve({ orderUid: uid, lines: [{ itemId: a.id, quantity: 1 }] }), 422);
    assert.equal(other.type, 'urn:shop:problem:reservation-mismatch');

    // Concurrent first requests of one order: one reservation.
    const b = await createItem(app, seller, { stock: 10 });
    const twin = { orderUid: orderUid(), lines: [{ itemId: b.id, quantity: 2 }] };
    const answers = await Promise.all(Array.from({ length: 8 }, () => reserve(twin)));
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
    assert.equal((await item(b.id)).reserved, 2);
  });

  it('never holds more than stock − reserved: 50 concurrent orders for the last 10 units', async () => {
    const a = await createItem(app, seller, { stock: 10 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => reserve({ orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 1 }] })));
    const statuses = answers.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 201).length, 10, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 40, statuses.join(','));
    const after = await item(a.id);
    assert.deepEqual([after.stock, after.reserved, after.available], [10, 10, 0]);
    assert.equal(await heldUnits(a.id), 10);
  });

  it('orders crossing the same items in any line order never deadlock', async () => {
    const a = await createItem(app, seller, { stock: 15 });
    const b = await createItem(app, seller, { stock: 15 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve({
      orderUid: orderUid(),
      lines: i % 2 ? [{ itemId: a.id, quantity: 1 }, { itemId: b.id, quantity: 1 }] : [{ itemId: b.id, quantity: 1 }, { itemId: a.id, quantity: 1 }],
    })));
    const statuses = answers.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 201).length, 15, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 5, statuses.join(','));
    assert.deepEqual([(await item(a.id)).reserved, (await item(b.id)).reserved], [15, 15]);
  });
});

describe('commit, release, restock', () => {
  it('commit takes the stock in one transaction with item.updated events; again changes nothing', async () => {
    const a = await createItem(app, seller, { stock: 5 });
    const b = await createItem(app, seller, { stock: 3 });
    const uid = orderUid();
    ok(await reserve({ orderUid: uid, lines: [{ itemId: a.id, quantity: 2 }, { itemId: b.id, quantity: 3 }] }), 201);

    const committed = ok<Reservation>(await act(uid, 'commit'));
    assert.equal(committed.state, 'committed');
    assert.ok(committed.committedAt);
    const [ra, rb] = [await item(a.id), await item(b.id)];
    assert.deepEqual([ra.stock, ra.reserved, ra.available, ra.version], [3, 0, 3, 2]);
    assert.deepEqual([rb.stock, rb.reserved, rb.available, rb.version], [0, 0, 0, 2]);

    const events = await waitFor('item.updated of both items on Kafka', () => {
      const found = tap.forKeys([a.id, b.id]).map((m) => JSON.parse(m.value.toString()) as { type: string; version: number; data: { id: string; stock: number; article: number } })
        .filter((e) => e.type === 'item.updated');
      return found.length >= 2 ? found : undefined;
    });
    assert.deepEqual(events.map((e) => [e.data.id, e.version, e.data.stock, e.data.article]).sort(), [[a.id, 2, 3, a.article], [b.id, 2, 0, b.article]].sort());

    const again = ok<Reservation>(await act(uid, 'commit'));
    assert.deepEqual(again, committed);
    assert.equal((await item(a.id)).version, 2, 'a repeated commit is no change');
    assert.equal((await outboxRows(db, [a.id])).length, 2, 'item.created and one item.updated');
    problemOf(await act(uid, 'release'), 409);
  });

  it('release returns held units; again the same; a released order cannot be committed', async () => {
    const a = await createItem(app, seller, { stock: 4 });
    const uid = orderUid();
    ok(await reserve({ orderUid: uid, lines: [{ itemId: a.id, quantity: 4 }] }), 201);
    const released = ok<Reservation>(await act(uid, 'release'));
    assert.deepEqual([released.state, released.releaseReason], ['released', 'released']);
    const ra = await item(a.id);
    assert.deepEqual([ra.stock, ra.reserved, ra.available, ra.version], [4, 0, 4, 1]);
    assert.deepEqual(ok<Reservation>(await act(uid, 'release')), released);
    assert.equal((await item(a.id)).reserved, 0, 'released once');
    const commit = problemOf(await act(uid, 'commit'), 409);
    assert.equal(commit.type, 'urn:shop:problem:reservation-released');
    problemOf(await act(uid, 'restock'), 409);
    problemOf(await act(orderUid(), 'release'), 404);
    problemOf(await act(orderUid(), 'commit'), 404);
  });

  it('restock returns committed units to stock (a paid order cancelled), once', async () => {
    const a = await createItem(app, seller, { stock: 6 });
    const uid = orderUid();
    ok(await reserve({ orderUid: uid, lines: [{ itemId: a.id, quantity: 4 }] }), 201);
    problemOf(await act(uid, 'restock'), 409);
    ok(await act(uid, 'commit'));
    assert.equal((await item(a.id)).stock, 2);
    const restocked = ok<Reservation>(await act(uid, 'restock'));
    assert.deepEqual([restocked.state, restocked.releaseReason], ['released', 'restocked']);
    const ra = await item(a.id);
    assert.deepEqual([ra.stock, ra.reserved, ra.version], [6, 0, 3]);
    assert.deepEqual(ok<Reservation>(await act(uid, 'restock')), restocked);
    assert.equal((await item(a.id)).stock, 6, 'restocked once');
    const rows = await outboxRows(db, [a.id]);
    assert.deepEqual(rows.map((r) => [r.payload.type, r.payload.version]), [['item.created', 1], ['item.updated', 2], ['item.updated', 3]]);
    problemOf(await act(uid, 'commit'), 409);
  });

  it('the sweeper releases expired held units', async () => {
    const a = await createItem(app, seller, { stock: 3 });
    const uid = orderUid();
    const held = ok<Reservation>(await reserve({ orderUid: uid, lines: [{ itemId: a.id, quantity: 3 }], ttlSeconds: 1 }), 201);
    assert.ok(Date.parse(held.expiresAt) - Date.parse(held.createdAt) <= 1_000);
    const released = await waitFor('the expired reservation released', async () => {
      const r = await app.inject({ method: 'GET', url: `/internal/reservations/${uid}`, headers: service });
      const body = ok<Reservation>(r);
      return body.state === 'released' ? body : undefined;
    });
    assert.equal(released.releaseReason, 'expired');
    const ra = await item(a.id);
    assert.deepEqual([ra.stock, ra.reserved, ra.available, ra.version], [3, 0, 3, 1]);
    const commit = problemOf(await act(uid, 'commit'), 409);
    assert.equal(commit.type, 'urn:shop:problem:reservation-released');
    ok(await reserve({ orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 3 }] }), 201);
  });
});

describe('expiry before the sweeper', () => {
  it('a commit that finds its reservation expired releases it and answers 409 reservation-expired', async () => {
    // Hold the sweeper's advisory lock (as an operator pausing it would): no instance sweeps meanwhile.
    const lock = await db.connect();
    try {
      await lock.query(`SELECT pg_advisory_lock(hashtext('${SWEEP_LOCK_NAME}'))`);
      const a = await createItem(app, seller, { stock: 2 });
      const uid = orderUid();
      ok(await reserve({ orderUid: uid, lines: [{ itemId: a.id, quantity: 2 }], ttlSeconds: 1 }), 201);
      await waitFor('the reservation past its expiry (database clock)', async () =>
        (await db.query(`SELECT 1 FROM reservations WHERE order_uid = $1 AND expires_at <= now()`, [uid])).rowCount === 1);
      assert.equal((await item(a.id)).reserved, 2, 'not swept');
      const refused = problemOf(await act(uid, 'commit'), 409);
      assert.equal(refused.type, 'urn:shop:problem:reservation-expired');
      const now = ok<Reservation>(await app.inject({ method: 'GET', url: `/internal/reservations/${uid}`, headers: service }));
      assert.deepEqual([now.state, now.releaseReason], ['released', 'expired']);
      const ra = await item(a.id);
      assert.deepEqual([ra.stock, ra.reserved, ra.version], [2, 0, 1], 'the units are back, the stock untouched');
      assert.equal(problemOf(await act(uid, 'commit'), 409).type, 'urn:shop:problem:reservation-released');
    } finally {
      await lock.query(`SELECT pg_advisory_unlock(hashtext('${SWEEP_LOCK_NAME}'))`);
      lock.release();
    }
  });
});

describe('metrics', () => {
  it('counts reservations by event', async () => {
    const count = async (event: string) => {
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(new RegExp(`^reservations_total\\{[^}]*event="${event}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    };
    const a = await createItem(app, seller, { stock: 1 });
    const before = { reserved: await count('reserved'), replayed: await count('replayed'), short: await count('out_of_stock'), committed: await count('committed') };
    const body = { orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 1 }] };
    ok(await reserve(body), 201);
    ok(await reserve(body));
    problemOf(await reserve({ orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 1 }] }), 409);
    ok(await act(body.orderUid, 'commit'));
    ok(await act(body.orderUid, 'commit'));
    assert.deepEqual(
      [await count('reserved') - before.reserved, await count('replayed') - before.replayed, await count('out_of_stock') - before.short, await count('committed') - before.committed],
      [1, 1, 1, 1],
    );
  });
});

describe('the seller and reserved units', () => {
  it('refuses stock below what is reserved (409 naming it), allows down to it', async () => {
    const a = await createItem(app, seller, { stock: 5 });
    ok(await reserve({ orderUid: orderUid(), lines: [{ itemId: a.id, quantity: 3 }] }), 201);
    const refused = problemOf(await patchItem(app, seller, a.id, '"1"', { stock: 2 }), 409);
    assert.equal(refused.type, 'urn:shop:problem:stock-below-reserved');
    assert.equal(refused.reserved, 3);
    assert.match(refused.detail, /3 units/);
    const ra = await item(a.id);
    assert.deepEqual([ra.stock, ra.version], [5, 1], 'nothing changed');
    const down = ok<ItemJson>(await patchItem(app, seller, a.id, '"1"', { stock: 3 }));
    assert.deepEqual([down.stock, down.reserved, down.available, down.version], [3, 3, 0, 2]);
    ok(await patchItem(app, seller, a.id, '"2"', { name: 'Другое имя' }), 200);
  });
});

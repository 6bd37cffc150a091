// The service against the real PostgreSQL, Redis, Kafka (topics of the test's own), Elasticsearch and sso.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  RUN, activity, closeProducer, createTestTopics, db, deleteTestTopics, get, ids, item, newAnonymous, newUser, orderPaid, sendActivity, sendItem, sendOrder,
  sendViews, startService, waitFor, type RecommendationsApp,
} from './helpers.ts';

let service: RecommendationsApp;
const pool = db();
const category = (label: string) => `rec-test-${RUN}-${label}`;

/** Waits until the model holds `count` interactions with these items. */
async function interactions(itemIds: string[], count: number) {
  await waitFor(`${count} interactions`, async () => {
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM interactions WHERE item_id = ANY($1::uuid[])', [itemIds]);
    return Number(rows[0]!.n) >= count;
  }, 20_000, 100);
}
async function itemsStored(itemIds: string[], version = 1) {
  await waitFor('items stored', async () => {
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM items WHERE id = ANY($1::uuid[]) AND version >= $2', [itemIds, version]);
    return Number(rows[0]!.n) === itemIds.length;
  }, 20_000, 100);
}

before(async () => {
  await createTestTopics();
  service = await startService();
});

after(async () => {
  await service?.app.close();
  await closeProducer();
  await pool.end();
  await deleteTestTopics();
});

describe('popular', () => {
  it('per category by decayed interactions, at most 3 of a brand; a deleted, hidden or sold-out item leaves the list (cached or not) as soon as its event arrives', async () => {
    const c = category('popular');
    const [a, b, cc] = [item({ category: c }), item({ category: c }), item({ category: c })];
    const xs = [0, 1, 2, 3].map(() => item({ category: c, brand: 'Xbrand' }));
    for (const i of [a, b, cc, ...xs]) await sendItem(i);
    await itemsStored([a, b, cc, ...xs].map((i) => i.id));
    const views: [string, number][] = [[a.id, 3], [b.id, 2], [cc.id, 1], ...xs.map((x) => [x.id, 4] as [string, number])];
    for (const [id, n] of views) for (let k = 0; k < n; k++) await sendViews(newAnonymous(), [id]);
    await interactions([a, b, cc, ...xs].map((i) => i.id), 22);

    const url = `/api/recommendations/popular?category=${c}&size=10`;
    const first = await get(service.app, url);
    assert.equal(first.status, 200);
    assert.equal(first.body.source, 'popular');
    assert.equal(first.cache, 'miss');
    assert.equal(first.body.items.length, 6);
    assert.deepEqual(first.body.items.slice(0, 3).map((i) => i.brand), ['Xbrand', 'Xbrand', 'Xbrand']);
    assert.deepEqual(ids(first).slice(3), [a.id, b.id, cc.id]);
    const again = await get(service.app, url);
    assert.equal(again.cache, 'hit');
    assert.deepEqual(again.body, first.body);

    await sendItem({ ...a, stock: 0, version: 2 });
    await sendItem({ ...b, status: 'hidden', version: 2 });
    await sendItem({ ...cc, status: 'deleted', version: 2 });
    const gone = await waitFor('the three items gone from the list', async () => {
      const l = await get(service.app, url);
      return l.body.items.length === 3 ? l : undefined;
    }, 20_000, 100);
    assert.ok(gone.body.items.every((i) => i.brand === 'Xbrand'), 'only the three of the brand remain (a fourth would exceed the limit)');
    await sendItem({ ...a, stock: 5, version: 3 });
    await waitFor('back in stock, back in the list', async () => ids(await get(service.app, url)).includes(a.id), 20_000, 100);
    // an older version delivered late changes nothing
    await sendItem({ ...a, stock: 0, version: 2 });
    await sendItem({ ...xs[0]!, name: 'marker', version: 2 });
    await itemsStored([xs[0]!.id], 2);
    assert.ok(ids(await get(service.app, url)).includes(a.id));
  });

  it('rejects bad queries with problem+json 400', async () => {
    for (const q of ['size=0', 'size=51', 'size=x', 'category=Not%20A%20Slug', `category=${'a'.repeat(101)}`, 'category=a%00b', 'other=1']) {
      const res = await service.app.inject({ method: 'GET', url: `/api/recommendations/popular?${q}` });
      assert.equal(res.statusCode, 400, q);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
    }
  });
});

describe('items', () => {
  const c = category('items');
  const [p, q, r, blockbuster, cold] = [0, 1, 2, 3, 4].map(() => item({ category: c }));
  let customer: string;

  before(async () => {
    for (const i of [p!, q!, r!, blockbuster!, cold!]) await sendItem(i);
    await itemsStored([p!, q!, r!, blockbuster!, cold!].map((i) => i.id));
    // sessions: (p, q) twice, (p, r) once, (p, blockbuster) once, the blockbuster alone 20 times
    await sendViews(newAnonymous(), [p!.id, q!.id]);
    await sendViews(newAnonymous(), [q!.id, p!.id]);
    await sendViews(newAnonymous(), [p!.id, r!.id]);
    await sendViews(newAnonymous(), [blockbuster!.id, p!.id]);
    for (let k = 0; k < 20; k++) await sendViews(newAnonymous(), [blockbuster!.id]);
    customer = (await newUser()).id;
    const order = orderPaid(customer, [p!.id, q!.id]);
    await sendOrder(order);
    await sendOrder(order); // redelivered: counts once
    await sendOrder({ ...order, id: randomUUID() }); // the same payment again under another event id
    await sendOrder(orderPaid(customer, [p!.id, r!.id]));
    await sendOrder({ ...orderPaid(customer, [p!.id, blockbuster!.id]), type: 'order.placed', data: { ...orderPaid(customer, [p!.id, blockbuster!.id]).data, status: 'placed' } });
    await interactions([p!, q!, r!, blockbuster!].map((i) => i.id), 8 + 20 + 4);
  });

  it('also-viewed: co-viewed in sessions, cosine-normalized (the blockbuster last), never the item itself', async () => {
    const l = await get(service.app, `/api/recommendations/items/${p!.id}?kind=also-viewed&size=5`);
    assert.equal(l.status, 200);
    assert.equal(l.body.source, 'also-viewed');
    assert.deepEqual(ids(l).slice(0, 3), [q!.id, r!.id, blockbuster!.id]);
    assert.ok(!ids(l).includes(p!.id));
  });

  it('also-bought: bought in the same paid orders; an order counts once however often it comes; placed orders do not count', async () => {
    const l = await get(service.app, `/api/recommendations/items/${p!.id}?kind=also-bought&size=2`);
    assert.equal(l.body.source, 'also-bought');
    assert.deepEqual(new Set(ids(l)), new Set([q!.id, r!.id]));
    const { rows } = await pool.query<{ count: number }>(`SELECT count FROM co_counts WHERE item_id = $1 AND other_id = $2 AND kind = 'buy'`, [p!.id, q!.id]);
    assert.equal(rows[0]!.count, 1);
    const { rows: blockbusterBuys } = await pool.query(`SELECT 1 FROM co_counts WHERE item_id = $1 AND other_id = $2 AND kind = 'buy'`, [p!.id, blockbuster!.id]);
    assert.equal(blockbusterBuys.length, 0);
  });

  it('a new item without interactions: similar content, else popular in its category', async () => {
    const l = await get(service.app, `/api/recommendations/items/${cold!.id}?size=4`);
    assert.equal(l.status, 200);
    assert.equal(l.body.source, 'popular-category'); // test items are not in the search index: nothing similar
    assert.deepEqual(ids(l), [blockbuster!.id, p!.id, q!.id, r!.id]);
  });

  it('404 for an unknown item, 400 for a bad id or kind', async () => {
    assert.equal((await service.app.inject({ method: 'GET', url: `/api/recommendations/items/${item().id}` })).statusCode, 404);
    for (const url of ['/api/recommendations/items/not-a-uuid', `/api/recommendations/items/${p!.id}?kind=also-liked`, `/api/recommendations/items/${p!.id}?size=100`]) {
      assert.equal((await service.app.inject({ method: 'GET', url })).statusCode, 400, url);
    }
  });

  it('a restart, even a new consumer group replaying the topics from the beginning, loses nothing and counts nothing twice', async () => {
    const before = (await pool.query(`SELECT item_id, other_id, kind, count FROM co_counts WHERE item_id = $1 ORDER BY 2, 3`, [p!.id])).rows;
    const listBefore = ids(await get(service.app, `/api/recommendations/items/${p!.id}?size=5`));
    await service.app.close();
    service = await startService(); // new groups: every message of the test topics again
    await sendViews(newAnonymous(), [r!.id]); // one more event after the replayed ones
    await interactions([p!, q!, r!, blockbuster!].map((i) => i.id), 8 + 20 + 4 + 1);
    const afterRows = (await pool.query(`SELECT item_id, other_id, kind, count FROM co_counts WHERE item_id = $1 ORDER BY 2, 3`, [p!.id])).rows;
    assert.deepEqual(afterRows, before);
    assert.deepEqual(ids(await get(service.app, `/api/recommendations/items/${p!.id}?size=5`)), listBefore);
  });
});

describe('me', () => {
  const c = category('me');
  const ms = [0, 1, 2, 3, 4].map(() => item({ category: c }));
  const [m1, m2, m3, m4] = ms.map((m) => m.id) as [string, string, string, string];

  before(async () => {
    for (const m of ms) await sendItem(m);
    await itemsStored(ms.map((m) => m.id));
    for (let k = 0; k < 3; k++) await sendViews(newAnonymous(), [m1, m2]);
    await sendViews(newAnonymous(), [m1, m3]);
    await sendViews(newAnonymous(), [m3, m4]);
    await interactions(ms.map((m) => m.id), 10);
  });

  it('needs a token or a valid X-Anonymous-Id; a shopper without history gets popular', async () => {
    assert.equal((await service.app.inject({ method: 'GET', url: '/api/recommendations/me' })).statusCode, 400);
    assert.equal((await service.app.inject({ method: 'GET', url: '/api/recommendations/me', headers: { 'x-anonymous-id': 'x' } })).statusCode, 400);
    assert.equal((await service.app.inject({ method: 'GET', url: '/api/recommendations/me', headers: { authorization: 'Bearer nonsense' } })).statusCode, 401);
    const l = await get(service.app, '/api/recommendations/me?size=5', { 'x-anonymous-id': newAnonymous().anonymousId });
    assert.equal(l.status, 200);
    assert.equal(l.body.source, 'popular');
    assert.equal(l.body.items.length, 5);
  });

  it('personal through the neighbours of what the shopper viewed; cached until their own next interaction; bought and seen items excluded', async () => {
    const shopper = newAnonymous();
    const headers = { 'x-anonymous-id': shopper.anonymousId };
    await sendViews(shopper, [m1]);
    await waitFor('the view counted', async () => (await pool.query('SELECT 1 FROM interactions WHERE actor = $1', [`anon:${shopper.anonymousId}`])).rowCount);
    const first = await get(service.app, '/api/recommendations/me?size=5', headers);
    assert.equal(first.body.source, 'personal');
    assert.equal(ids(first)[0], m2);
    assert.ok(!ids(first).includes(m1));
    assert.equal(first.cache, 'miss');
    assert.equal((await get(service.app, '/api/recommendations/me?size=5', headers)).cache, 'hit');

    await sendActivity(activity('product_view', shopper, { itemId: m3, sessionId: `other-${randomBytes(4).toString('hex')}` }));
    const next = await waitFor('a new answer after the shopper’s own view', async () => {
      const l = await get(service.app, '/api/recommendations/me?size=5', headers);
      return l.cache === 'miss' ? l : undefined;
    }, 20_000, 100);
    assert.ok(!ids(next).includes(m1) && !ids(next).includes(m3));
    assert.equal(ids(next)[0], m2);
    assert.ok(ids(next).includes(m4), 'the neighbour of the new view');
  });

  it('a signed-in shopper: their anonymous browsing counts too, and what they bought is never recommended', async () => {
    const user = await newUser();
    const anonymous = newAnonymous();
    await sendViews(anonymous, [m1]); // before signing in
    await sendOrder(orderPaid(user.id, [m2]));
    await waitFor('both counted', async () => (await pool.query('SELECT 1 FROM interactions WHERE actor = ANY($1)', [[`anon:${anonymous.anonymousId}`, `user:${user.id}`]])).rowCount === 2);
    const l = await get(service.app, '/api/recommendations/me?size=5', { authorization: `Bearer ${user.token}`, 'x-anonymous-id': anonymous.anonymousId });
    assert.equal(l.status, 200);
    assert.equal(l.body.source, 'personal');
    assert.ok(!ids(l).includes(m2) && !ids(l).includes(m1));
    assert.ok(ids(l).includes(m3));
    const tokenOnly = await get(service.app, '/api/recommendations/me?size=5', { authorization: `Bearer ${user.token}` });
    assert.ok(!ids(tokenOnly).includes(m2));
  });
});

// Items through the routes against the real PostgreSQL, with real sso tokens: create/read/patch/delete,
// versions and ETags, validation, roles, If-Match and concurrent updates.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import type pg from 'pg';
import {
  createItem, itemBody, newAdmin, newUser, outboxRows, patchItem, pool, startApp,
  type ItemJson, type Problem, type User,
} from './helpers.ts';

let app: App;
let db: pg.Pool;
let seller: User;
let otherSeller: User;
let customer: User;
let admin: User;

before(async () => {
  app = await startApp();
  db = pool();
  [seller, otherSeller, customer, admin] = await Promise.all([newUser('seller'), newUser('seller', 'other'), newUser('customer'), newAdmin()]);
});
after(async () => {
  await app.close();
  await db.end();
});

const ITEM_KEYS = ['article', 'attributes', 'available', 'brand', 'category', 'createdAt', 'currency', 'description', 'id', 'images', 'name', 'price', 'rating', 'reserved', 'reviewSummary', 'sellerId', 'status', 'stock', 'updatedAt', 'version'];

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number): Problem {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const problem = JSON.parse(res.body) as Problem;
  assert.equal(problem.status, status);
  return problem;
}

/** A 400 whose errors point at `pointer`. */
function assertInvalid(res: { statusCode: number; headers: Record<string, unknown>; body: string }, pointer: string): Problem {
  const problem = assertProblem(res, 400);
  assert.ok(problem.errors?.some((e) => e.pointer === pointer), `expected an error at ${pointer}: ${res.body}`);
  return problem;
}

describe('create, read, patch, delete', () => {
  it('walks an item through its versions with ETags and outbox events', async () => {
    const create = await app.inject({ method: 'POST', url: '/api/items', headers: seller.auth, payload: itemBody({ name: '  Ноутбук Lenovo X1  ', price: 1999.9 }) });
    assert.equal(create.statusCode, 201, create.body);
    assert.equal(create.headers.etag, '"1"');
    const item = create.json<ItemJson>();
    assert.equal(create.headers.location, `/api/items/${item.id}`);
    assert.deepEqual(Object.keys(item).sort(), ITEM_KEYS);
    assert.equal(item.name, 'Ноутбук Lenovo X1');
    assert.equal(item.sellerId, seller.id);
    assert.equal(item.price, '1999.90');
    assert.equal(item.currency, 'RUB');
    assert.equal(item.status, 'active');
    assert.equal(item.version, 1);
    assert.deepEqual(item.images, []);
    assert.equal(item.reviewSummary, null, 'no review summary before comment-analysis publishes one');
    assert.deepEqual(item.rating, { average: 0, count: 0 });
    assert.deepEqual(item.attributes, { ram_gb: 16, color: 'black' });
    assert.ok(Number.isInteger(item.article) && item.article > 0, `article ${item.article}`);
    assert.equal(item.reserved, 0);
    assert.equal(item.available, item.stock);
    const other = await createItem(app, seller);
    assert.ok(other.article > item.article, 'articles come from a sequence: a later item has a greater one');

    const read = await app.inject({ method: 'GET', url: `/api/items/${item.id}` });
    assert.equal(read.statusCode, 200, read.body);
    assert.equal(read.headers.etag, '"1"');
    assert.deepEqual(read.json(), item);

    const patch = await patchItem(app, seller, item.id, '"1"', { stock: 7, price: '2500' });
    assert.equal(patch.statusCode, 200, patch.body);
    assert.equal(patch.headers.etag, '"2"');
    const patched = patch.json<ItemJson>();
    assert.equal(patched.version, 2);
    assert.equal(patched.stock, 7);
    assert.equal(patched.price, '2500.00');
    assert.equal(patched.name, item.name, 'a partial body leaves other fields alone');
    assert.equal(patched.createdAt, item.createdAt);
    assert.equal(patched.article, item.article, 'the article never changes');
    assert.equal(patched.available, 7);
    assert.ok(patched.updatedAt >= item.updatedAt);

    // Weak and bare forms of the version are accepted too.
    const weak = await patchItem(app, seller, item.id, 'W/"2"', { attributes: { ram_gb: 32 } });
    assert.equal(weak.statusCode, 200, weak.body);
    assert.deepEqual(weak.json<ItemJson>().attributes, { ram_gb: 32 });
    const bare = await patchItem(app, seller, item.id, '3', { category: 'tablets', currency: 'USD' });
    assert.equal(bare.statusCode, 200, bare.body);
    assert.equal(bare.headers.etag, '"4"');

    const del = await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: { ...seller.auth, 'if-match': '"4"' } });
    assert.equal(del.statusCode, 204, del.body);
    assert.equal(del.headers.etag, '"5"');
    assert.equal(del.body, '');

    assertProblem(await app.inject({ method: 'GET', url: `/api/items/${item.id}` }), 404);
    assertProblem(await patchItem(app, seller, item.id, '"5"', { stock: 1 }), 404);
    assertProblem(await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: seller.auth }), 404);

    // One outbox row per change, in version order, written with the change.
    const rows = await outboxRows(db, [item.id]);
    assert.deepEqual(rows.map((r) => [r.payload.type, r.payload.version]), [
      ['item.created', 1], ['item.updated', 2], ['item.updated', 3], ['item.updated', 4], ['item.deleted', 5],
    ]);
    assert.equal(rows.at(-1)?.payload.data.status, 'deleted');
    assert.ok(rows.every((r) => (r.payload.data as { article?: number }).article === item.article), 'every snapshot carries the article');
    assert.ok(rows.every((r) => r.topic === 'item-events' && r.key === item.id && r.headers['content-type'] === 'application/json'));
  });

  it('creates the seller profile on the first item, with a default display name', async () => {
    const fresh = await newUser('seller', 'fresh');
    assertProblem(await app.inject({ method: 'GET', url: `/api/sellers/${fresh.id}` }), 404);
    await createItem(app, fresh);
    await createItem(app, fresh, { category: 'smartphones' });
    const res = await app.inject({ method: 'GET', url: `/api/sellers/${fresh.id}` });
    assert.equal(res.statusCode, 200, res.body);
    const profile = res.json<{ id: string; displayName: string; itemCount: number }>();
    assert.equal(profile.displayName, `Seller ${fresh.id.slice(0, 8)}`);
    assert.equal(profile.itemCount, 2);
  });

  it('lists a seller\'s items newest first with paging; deleted items are left out', async () => {
    const lister = await newUser('seller', 'lister');
    const made: ItemJson[] = [];
    for (let i = 0; i < 5; i++) made.push(await createItem(app, lister, { stock: i }));
    const del = await app.inject({ method: 'DELETE', url: `/api/items/${made[0]!.id}`, headers: lister.auth });
    assert.equal(del.statusCode, 204, del.body);

    const first = await app.inject({ method: 'GET', url: `/api/items?sellerId=${lister.id}&page=1&size=3` });
    assert.equal(first.statusCode, 200, first.body);
    const page1 = first.json<{ items: ItemJson[]; page: number; size: number; total: number }>();
    assert.equal(page1.total, 4);
    assert.equal(page1.page, 1);
    assert.equal(page1.size, 3);
    assert.deepEqual(page1.items.map((i) => i.id), [made[4]!.id, made[3]!.id, made[2]!.id]);
    const page2 = (await app.inject({ method: 'GET', url: `/api/items?sellerId=${lister.id}&page=2&size=3` })).json<{ items: ItemJson[] }>();
    assert.deepEqual(page2.items.map((i) => i.id), [made[1]!.id]);

    const defaults = (await app.inject({ method: 'GET', url: `/api/items?sellerId=${lister.id}` })).json<{ page: number; size: number }>();
    assert.equal(defaults.page, 1);
    assert.equal(defaults.size, 20);
  });
});

describe('validation', () => {
  const create = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/items', headers: seller.auth, payload });

  it('accepts prices as strings or numbers and normalizes them to two decimals', async () => {
    for (const [price, expected] of [['10', '10.00'], ['0.5', '0.50'], [15, '15.00'], [0.99, '0.99'], ['999999999999.99', '999999999999.99']] as const) {
      const res = await create(itemBody({ price }));
      assert.equal(res.statusCode, 201, `${price}: ${res.body}`);
      assert.equal(res.json<ItemJson>().price, expected);
    }
  });

  it('refuses bad price forms naming the price', async () => {
    for (const price of ['1e3', 'NaN', '1.999', 1.999, '0', 0, -5, '-5.00', '1000000000000.00', 1e13, '12,50', ' 5', '', null, true, { amount: 5 }]) {
      const res = await create(itemBody({ price }));
      assertInvalid(res, '/price');
    }
    const missing = itemBody();
    delete missing.price;
    assertInvalid(await create(missing), '/price');
  });

  it('refuses unknown and non-leaf categories, naming them', async () => {
    const unknown = assertInvalid(await create(itemBody({ category: 'no-such-category' })), '/category');
    assert.match(unknown.detail, /no-such-category/);
    const root = assertInvalid(await create(itemBody({ category: 'electronics' })), '/category');
    assert.match(root.detail, /'electronics' is not a leaf/);
    assert.match(root.detail, /laptops/);
    assertInvalid(await create(itemBody({ category: 'Laptops!' })), '/category');
  });

  it('refuses fields the caller may not set, naming each', async () => {
    for (const field of ['id', 'article', 'sellerId', 'version', 'createdAt', 'updatedAt', 'status', 'images', 'rating', 'reserved', 'available']) {
      const res = await create(itemBody({ [field]: field === 'version' ? 9 : 'x' }));
      const problem = assertInvalid(res, `/${field}`);
      assert.match(problem.detail, new RegExp(field));
    }
    const unknown = assertInvalid(await create(itemBody({ colour: 'red' })), '/colour');
    assert.match(unknown.detail, /colour/);
  });

  it('checks names, brands, descriptions, currency, stock and attributes', async () => {
    assertInvalid(await create(itemBody({ name: '   ' })), '/name');
    assertInvalid(await create(itemBody({ name: 'x'.repeat(201) })), '/name');
    // Lengths apply to the text as sent (what the OpenAPI document states); it is stored trimmed.
    assertInvalid(await create(itemBody({ name: ` ${'x'.repeat(200)}` })), '/name');
    const padded = await create(itemBody({ name: `  ${'x'.repeat(196)}  ` }));
    assert.equal(padded.statusCode, 201, padded.body);
    assert.equal(padded.json<{ name: string }>().name, 'x'.repeat(196), 'stored trimmed');
    assertInvalid(await create(itemBody({ brand: '' })), '/brand');
    assertInvalid(await create(itemBody({ brand: 'b'.repeat(101) })), '/brand');
    assertInvalid(await create(itemBody({ description: 'd'.repeat(10_001) })), '/description');
    assertInvalid(await create(itemBody({ currency: 'rub' })), '/currency');
    assertInvalid(await create(itemBody({ currency: 'RUBL' })), '/currency');
    assertInvalid(await create(itemBody({ stock: -1 })), '/stock');
    assertInvalid(await create(itemBody({ stock: 1.5 })), '/stock');
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    assertInvalid(await create(itemBody({ attributes: many })), '/attributes');
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i % 2 ? i : `v${i}`]));
    assert.equal((await create(itemBody({ attributes: fifty }))).statusCode, 201);
    assertInvalid(await create(itemBody({ attributes: { note: 'n'.repeat(501) } })), '/attributes/note');
    assertInvalid(await create(itemBody({ attributes: { nested: { a: 1 } } })), '/attributes/nested');
    assertInvalid(await create(itemBody({ attributes: { list: [1, 2] } })), '/attributes/list');
    assertInvalid(await create(itemBody({ attributes: 'plain' })), '/attributes');
    const res = await create(itemBody({ currency: undefined, attributes: undefined, description: undefined }));
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual([res.json<ItemJson>().currency, res.json<ItemJson>().attributes, res.json<ItemJson>().description], ['RUB', {}, '']);
  });

  it('checks PATCH bodies the same way, and refuses an empty one', async () => {
    const item = await createItem(app, seller);
    assertInvalid(await patchItem(app, seller, item.id, '"1"', { price: '1.234' }), '/price');
    assertInvalid(await patchItem(app, seller, item.id, '"1"', { category: 'clothing' }), '/category');
    assertInvalid(await patchItem(app, seller, item.id, '"1"', { version: 2 }), '/version');
    assertInvalid(await patchItem(app, seller, item.id, '"1"', { sellerId: otherSeller.id }), '/sellerId');
    assertInvalid(await patchItem(app, seller, item.id, '"1"', { status: 'hidden' }), '/status');
    assertProblem(await patchItem(app, seller, item.id, '"1"', {}), 400);
    // Nothing changed.
    const read = await app.inject({ method: 'GET', url: `/api/items/${item.id}` });
    assert.equal(read.json<ItemJson>().version, 1);
  });

  it('checks ids and paging', async () => {
    assertInvalid(await app.inject({ method: 'GET', url: '/api/items/not-a-uuid' }), '/id');
    assertProblem(await app.inject({ method: 'GET', url: '/api/items/00000000-0000-4000-8000-000000000000' }), 404);
    assertInvalid(await app.inject({ method: 'GET', url: '/api/items?size=101' }), '/size');
    assertInvalid(await app.inject({ method: 'GET', url: '/api/items?page=0' }), '/page');
    assertInvalid(await app.inject({ method: 'GET', url: '/api/items?sellerId=nope' }), '/sellerId');
    const ok = await app.inject({ method: 'GET', url: '/api/items?size=100' });
    assert.equal(ok.statusCode, 200, ok.body);
  });
});

describe('roles', () => {
  it('needs a token for writes (401) and a seller or admin role (403)', async () => {
    const none = assertProblem(await app.inject({ method: 'POST', url: '/api/items', payload: itemBody() }), 401);
    assert.match(none.detail, /authentication/i);
    assertProblem(await app.inject({ method: 'POST', url: '/api/items', headers: { authorization: 'Bearer not.a.token' }, payload: itemBody() }), 401);
    assertProblem(await app.inject({ method: 'POST', url: '/api/items', headers: customer.auth, payload: itemBody() }), 403);
    // The role check comes before validation: a customer learns nothing about the body rules.
    assertProblem(await app.inject({ method: 'POST', url: '/api/items', headers: customer.auth, payload: { id: 'x' } }), 403);

    const item = await createItem(app, seller);
    assertProblem(await app.inject({ method: 'PATCH', url: `/api/items/${item.id}`, headers: { 'if-match': '1' }, payload: { stock: 1 } }), 401);
    assertProblem(await app.inject({ method: 'DELETE', url: `/api/items/${item.id}` }), 401);
    assertProblem(await patchItem(app, customer, item.id, '"1"', { stock: 1 }), 403);
    assertProblem(await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: customer.auth }), 403);
  });

  it('lets only the owning seller or an admin change or delete an item', async () => {
    const item = await createItem(app, seller);
    assertProblem(await patchItem(app, otherSeller, item.id, '"1"', { stock: 0 }), 403);
    assertProblem(await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: otherSeller.auth }), 403);
    const byAdmin = await patchItem(app, admin, item.id, '"1"', { stock: 42 });
    assert.equal(byAdmin.statusCode, 200, byAdmin.body);
    assert.equal(byAdmin.json<ItemJson>().sellerId, seller.id, 'an admin edit keeps the seller');
    assert.equal(byAdmin.json<ItemJson>().version, 2);
    const del = await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: admin.auth });
    assert.equal(del.statusCode, 204, del.body);
  });

  it('lets an admin create items under their own id', async () => {
    const item = await createItem(app, admin);
    assert.equal(item.sellerId, admin.id);
  });
});

describe('If-Match and concurrency', () => {
  it('answers 428 without If-Match, 412 on a stale version and 400 on a malformed one', async () => {
    const item = await createItem(app, seller);
    const missing = assertProblem(await patchItem(app, seller, item.id, undefined, { stock: 1 }), 428);
    assert.match(missing.detail, /If-Match/);
    assertInvalid(await patchItem(app, seller, item.id, 'abc', { stock: 1 }), '/if-match');
    assertInvalid(await patchItem(app, seller, item.id, '"1", "2"', { stock: 1 }), '/if-match');
    assert.equal((await patchItem(app, seller, item.id, '"1"', { stock: 1 })).statusCode, 200);
    const stale = await patchItem(app, seller, item.id, '"1"', { stock: 2 });
    const problem = assertProblem(stale, 412);
    assert.equal(problem.currentVersion, 2);
    assert.equal(stale.headers.etag, '"2"');
    const staleDelete = await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: { ...seller.auth, 'if-match': '"1"' } });
    assertProblem(staleDelete, 412);
    const read = (await app.inject({ method: 'GET', url: `/api/items/${item.id}` })).json<ItemJson>();
    assert.equal(read.stock, 1);
    assert.equal(read.version, 2);
  });

  it('lets exactly one of concurrent PATCHes with the same If-Match win', async () => {
    for (let round = 0; round < 3; round++) {
      const item = await createItem(app, seller);
      const results = await Promise.all([0, 1, 2, 3, 4].map((i) => patchItem(app, seller, item.id, '"1"', { stock: 100 + i })));
      const codes = results.map((r) => r.statusCode).sort();
      assert.deepEqual(codes, [200, 412, 412, 412, 412], results.map((r) => r.body).join('\n'));
      const winner = results.find((r) => r.statusCode === 200)!.json<ItemJson>();
      const read = (await app.inject({ method: 'GET', url: `/api/items/${item.id}` })).json<ItemJson>();
      assert.equal(read.version, 2);
      assert.equal(read.stock, winner.stock);
      const rows = await outboxRows(db, [item.id]);
      assert.deepEqual(rows.map((r) => r.payload.version), [1, 2], 'one event per committed change');
    }
  });
});

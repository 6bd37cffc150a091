// The product page against the running item-crud (and sso for a seller), the real Elasticsearch and
// Redis; a stub item-crud where its failures are the point; our own redis-server where Redis must die.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { Client } from '@elastic/elasticsearch';
import {
  ELASTICSEARCH_URL, OwnRedis, StubCrud, createItem, deleteTestGroups, freePort, json, metric, newSeller, redis, startApp, stubItem, waitFor,
  type ItemJson, type User,
} from './helpers.ts';

interface Page {
  item: ItemJson;
  seller: { id: string; displayName?: string } | null;
  images: { id: string; url: string; thumbUrl: string }[];
  rating: { average: number; count: number };
  comments: { id: string }[];
  related: { id: string; name: string; brand: string; category: string; price: string; currency: string; rating: { average: number; count: number }; image: string | null }[];
  missing?: string[];
}

const shared = redis();
let app: App;
let seller: User;
let item: ItemJson;

before(async () => {
  seller = await newSeller();
  item = await createItem(seller);
  app = await startApp({ INVALIDATION_ENABLED: 'false' });
  // Let the item's own item.created pass through the pipeline first: the running facade's invalidation
  // of it would otherwise race the first cache write of these tests.
  const es = new Client({ node: ELASTICSEARCH_URL });
  await waitFor('the item in the index', async () => (await es.exists({ index: 'items', id: item.id })) && sleep(300).then(() => true), 30_000, 100);
  await es.close();
});
after(async () => {
  await app?.close();
  shared.disconnect();
  await deleteTestGroups();
});

const page = (a: App, id: string, headers: Record<string, string> = {}) => a.inject({ method: 'GET', url: `/api/products/${id}`, headers });
const itemCalls = (a: App) => metric(a, 'facade_upstream_requests_total', { source: 'item' });

describe('GET /api/products/:id (running item-crud, Elasticsearch, Redis)', () => {
  it('composes item, seller, images, rating, comments and related; a miss, then a hit', async () => {
    await shared.del(`product:${item.id}`);
    const first = await page(app, item.id);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.headers['x-cache'], 'miss');
    assert.match(String(first.headers['content-type']), /^application\/json/);
    const body = first.json<Page>();
    assert.equal(body.item.id, item.id);
    assert.equal(body.item.name, item.name);
    const passed = body.item as unknown as { article: number; available: number; reserved: number };
    assert.ok(Number.isInteger(passed.article) && passed.article > 0, 'the article number passes through');
    assert.deepEqual([passed.available, passed.reserved], [item.stock, 0], 'so does what can still be bought');
    assert.equal(body.seller?.id, item.sellerId);
    assert.deepEqual(body.images, []);
    assert.deepEqual(body.rating, { average: 0, count: 0 });
    assert.deepEqual(body.comments, []);
    assert.ok(Array.isArray(body.related));
    assert.ok(!body.related.some((r) => r.id === item.id), 'never related to itself');
    assert.equal(body.missing, undefined, `nothing missing: ${JSON.stringify(body.missing)}`);

    const ttl = await shared.pttl(`product:${item.id}`);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `cached with the 60 s TTL (pttl ${ttl})`);
    const second = await page(app, item.id);
    assert.equal(second.headers['x-cache'], 'hit');
    assert.deepEqual(second.json(), body);
  });

  it('related items: similar active items from the index in search\'s compact shape, thumbnails as image URLs', async () => {
    // Our own family of similar items (a word no other item has), indexed through the real pipeline.
    const word = `fjord${randomUUID().slice(0, 8).replace(/[0-9]/g, 'x')}`;
    const family = [];
    for (const kind of ['Стеллаж', 'Полка', 'Шкаф', 'Комод']) {
      family.push(await createItem(seller, { name: `${kind} ${word} из дерева`, description: `Мебель ${word} для дома`, brand: 'Ikea', category: 'furniture' }));
    }
    const es = new Client({ node: ELASTICSEARCH_URL });
    await waitFor('the family in the index', async () => {
      await es.indices.refresh({ index: 'items' });
      const res = await es.count({ index: 'items', query: { match: { name: word } } });
      return res.count === family.length;
    }, 30_000, 200);
    await es.close();
    const seeded = family[0]!.id;
    await shared.del(`product:${seeded}`);
    const body = (await page(app, seeded)).json<Page>();
    assert.ok(body.related.length > 0 && body.related.length <= 8, `related: ${body.related.length}`);
    assert.ok(!body.related.some((r) => r.id === seeded));
    for (const r of body.related) {
      assert.deepEqual(Object.keys(r).sort(), ['brand', 'category', 'currency', 'id', 'image', 'name', 'price', 'rating']);
      assert.match(r.price, /^\d+\.\d{2}$/);
      assert.ok(r.image === null || /^\/api\/images\/[0-9a-f-]{36}\/[0-9a-f-]{36}\?size=thumb$/.test(r.image), String(r.image));
    }
    assert.ok(body.related.some((r) => r.brand === 'Ikea'), 'similar items share the brand or the words');
    const others = new Set(family.slice(1).map((f) => f.id));
    assert.ok(body.related.filter((r) => others.has(r.id)).length >= 2, `the family is related: ${JSON.stringify(body.related.map((r) => r.name))}`);
    await shared.del(`product:${seeded}`);
  });

  it('404 problem+json for an unknown id, 400 for a malformed one', async () => {
    const missing = await page(app, randomUUID());
    assert.equal(missing.statusCode, 404);
    assert.match(String(missing.headers['content-type']), /^application\/problem\+json/);
    const bad = await page(app, 'not-a-uuid');
    assert.equal(bad.statusCode, 400);
    assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
  });

  it('single-flight in one process: 20 concurrent misses call item-crud once', async () => {
    await shared.del(`product:${item.id}`);
    const before = await itemCalls(app);
    const answers = await Promise.all(Array.from({ length: 20 }, () => page(app, item.id)));
    assert.deepEqual([...new Set(answers.map((a) => a.statusCode))], [200]);
    assert.equal(new Set(answers.map((a) => a.body)).size, 1, 'everyone got the same page');
    assert.equal((await itemCalls(app)) - before, 1, 'one item-crud call for 20 requests');
    assert.deepEqual([...new Set(answers.map((a) => a.headers['x-cache']))], ['miss']);
  });

  it('single-flight across instances: the Redis lock makes the other instance wait for the page', async () => {
    const other = await startApp({ INVALIDATION_ENABLED: 'false' });
    try {
      await shared.del(`product:${item.id}`);
      const before = (await itemCalls(app)) + (await itemCalls(other));
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => page(i % 2 ? other : app, item.id)));
      assert.deepEqual([...new Set(answers.map((a) => a.statusCode))], [200]);
      const calls = (await itemCalls(app)) + (await itemCalls(other)) - before;
      assert.equal(calls, 1, `item-crud calls across two instances: ${calls}`);
      const results = answers.map((a) => a.headers['x-cache']);
      assert.ok(results.includes('miss') && results.includes('hit'), `one instance built (miss), the other waited (hit): ${results.join(',')}`);
      assert.equal((await metric(app, 'facade_product_single_flight_total', { kind: 'waited' })) + (await metric(other, 'facade_product_single_flight_total', { kind: 'waited' })), 1);
    } finally {
      await other.close();
    }
  });
});

describe('sources failing (a stub item-crud)', () => {
  let stub: StubCrud;
  let stubbed: App;
  before(async () => {
    stub = await new StubCrud().start();
    stubbed = await startApp({ INVALIDATION_ENABLED: 'false', ITEM_CRUD_URL: stub.url });
  });
  after(async () => {
    await stubbed?.close();
    await stub?.close();
  });

  /** item, seller and comments answer as given (a status or 'hang'). */
  function serve(it: ItemJson, parts: { item?: number | 'hang'; seller?: number | 'hang'; comments?: number | 'hang' } = {}): void {
    stub.handle = (req, res) => {
      const url = req.url ?? '';
      const part = url.startsWith(`/api/items/${it.id}/comments`) ? 'comments' : url.startsWith('/api/sellers/') ? 'seller' : url === `/api/items/${it.id}` ? 'item' : undefined;
      const how = part ? (parts[part] ?? 200) : 404;
      if (how === 'hang') return; // never answers
      if (how !== 200) return json(res, how, { title: 'stub' });
      if (part === 'item') return json(res, 200, it);
      if (part === 'seller') return json(res, 200, { id: it.sellerId, displayName: 'Stub seller', description: '', itemCount: 1, createdAt: new Date().toISOString() });
      return json(res, 200, { total: 1, page: 1, size: 5, items: [{ id: randomUUID(), itemId: it.id, rating: 5, text: 'ok' }], rating: { average: 5, count: 1 } });
    };
  }

  it('the whole page from healthy sources; the trace context and request id reach item-crud', async () => {
    const it = stubItem();
    serve(it);
    const traceId = randomUUID().replace(/-/g, '');
    const res = await page(stubbed, it.id, { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'facade-trace-test' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<Page>();
    assert.equal(body.missing, undefined);
    assert.equal(body.seller?.displayName, 'Stub seller');
    assert.equal(body.comments.length, 1);
    assert.deepEqual(body.rating, { average: 4.5, count: 2 }, "the item's own rating");
    const calls = stub.requests.filter((r) => r.url.includes(it.id) || r.url.includes(it.sellerId));
    assert.equal(calls.length, 3);
    for (const call of calls) {
      assert.match(String(call.headers.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`), `${call.url} continues the trace`);
      assert.equal(call.headers['x-request-id'], 'facade-trace-test');
    }
    await shared.del(`product:${it.id}`);
  });

  it('a failing seller or comments call leaves that part out, names it in missing, and caches the page briefly', async () => {
    const cases: [Parameters<typeof serve>[1], string[]][] = [[{ seller: 500 }, ['seller']], [{ comments: 503 }, ['comments']], [{ seller: 'hang', comments: 500 }, ['seller', 'comments']]];
    for (const [parts, missing] of cases) {
      const it = stubItem();
      serve(it, parts);
      const started = performance.now();
      const res = await page(stubbed, it.id);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<Page>();
      assert.deepEqual(body.missing, missing, JSON.stringify(parts));
      if (missing.includes('seller')) assert.equal(body.seller, null);
      if (missing.includes('comments')) assert.deepEqual(body.comments, []);
      assert.ok(performance.now() - started < 2_500, 'a hanging part costs at most its own timeout');
      const ttl = await shared.pttl(`product:${it.id}`);
      assert.ok(ttl > 0 && ttl <= 5_000, `a degraded page lives 5 s at most (pttl ${ttl})`);
      await shared.del(`product:${it.id}`);
    }
  });

  it('item-crud failing for the item is a 503, a hanging one a 503 after its 2 s timeout, a 404 a 404', async () => {
    const it = stubItem();
    serve(it, { item: 500 });
    const failed = await page(stubbed, it.id);
    assert.equal(failed.statusCode, 503);
    assert.match(String(failed.headers['content-type']), /^application\/problem\+json/);
    assert.equal(await shared.exists(`product:${it.id}`), 0, 'nothing cached');

    serve(it, { item: 'hang' });
    const started = performance.now();
    const hung = await page(stubbed, it.id);
    const elapsed = performance.now() - started;
    assert.equal(hung.statusCode, 503);
    assert.ok(elapsed >= 1_900 && elapsed < 3_000, `gave up after ${Math.round(elapsed)} ms`);

    serve(it, { item: 404 });
    assert.equal((await page(stubbed, it.id)).statusCode, 404);
    await stubbed.close();
    stubbed = await startApp({ INVALIDATION_ENABLED: 'false', ITEM_CRUD_URL: `http://127.0.0.1:${await freePort()}` });
    const unreachable = await page(stubbed, it.id);
    assert.equal(unreachable.statusCode, 503);
    assert.doesNotMatch(unreachable.body, /ECONNREFUSED|127\.0\.0\.1/);
  });

  it('an invalidation while a page is being built refuses that (stale) page', async () => {
    await stubbed.close();
    stubbed = await startApp({ INVALIDATION_ENABLED: 'false', ITEM_CRUD_URL: stub.url });
    const it = stubItem();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    serve(it);
    const healthy = stub.handle;
    stub.handle = async (req, res) => {
      if (req.url === `/api/items/${it.id}`) await held;
      return healthy(req, res);
    };
    const refusedBefore = await metric(stubbed, 'facade_product_cache_writes_total', { outcome: 'refused' });
    const pending = page(stubbed, it.id);
    await waitFor('the item request to reach item-crud', () => stub.requests.some((r) => r.url === `/api/items/${it.id}`));
    await stubbed.facade.cache.invalidate([it.id]); // the item changed while its old state was being read
    release();
    const res = await pending;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-cache'], 'miss');
    assert.equal(await shared.exists(`product:${it.id}`), 0, 'the page built from the old state was not stored');
    assert.equal((await metric(stubbed, 'facade_product_cache_writes_total', { outcome: 'refused' })) - refusedBefore, 1);
    stub.handle = healthy;
    assert.equal((await page(stubbed, it.id)).headers['x-cache'], 'miss');
    assert.equal((await page(stubbed, it.id)).headers['x-cache'], 'hit', 'the next build is stored');
    await shared.del(`product:${it.id}`, `product:gen:${it.id}`);
  });
});

describe('degradation', () => {
  it('Redis killed: pages come from the sources at once (X-Cache: bypass)', async () => {
    const own = await OwnRedis.start();
    const withOwn = await startApp({ INVALIDATION_ENABLED: 'false', REDIS_URL: own.url });
    try {
      assert.equal((await page(withOwn, item.id)).headers['x-cache'], 'miss');
      assert.equal((await page(withOwn, item.id)).headers['x-cache'], 'hit');
      await own.kill();
      await sleep(100);
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const res = await page(withOwn, item.id);
        const elapsed = performance.now() - started;
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.headers['x-cache'], 'bypass');
        assert.equal(res.json<Page>().item.id, item.id);
        assert.ok(elapsed < 1_000, `no Redis wait: ${Math.round(elapsed)} ms`);
      }
      assert.ok((await metric(withOwn, 'facade_product_cache_total', { result: 'bypass' })) >= 5);
    } finally {
      await withOwn.close();
      await own.close();
    }
  });

  it('Redis unreachable from the start: bypass', async () => {
    const noRedis = await startApp({ INVALIDATION_ENABLED: 'false', REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    try {
      const res = await page(noRedis, item.id);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-cache'], 'bypass');
    } finally {
      await noRedis.close();
    }
  });

  it('Elasticsearch unreachable: the item is served, related is empty and named missing', async () => {
    // An item created in before(): the running facade consumed its item.created long ago (a brand-new
    // item's event could bump the generation between our read and write, and the write be refused).
    const fresh = item;
    await shared.del(`product:${fresh.id}`);
    const noEs = await startApp({ INVALIDATION_ENABLED: 'false', ELASTICSEARCH_URL: `http://127.0.0.1:${await freePort()}` });
    try {
      const res = await page(noEs, fresh.id);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<Page>();
      assert.equal(body.item.id, fresh.id);
      assert.equal(body.seller?.id, fresh.sellerId);
      assert.deepEqual(body.related, []);
      assert.deepEqual(body.missing, ['related']);
      const ttl = await shared.pttl(`product:${fresh.id}`);
      assert.ok(ttl > 0 && ttl <= 5_000, `the degraded page is cached briefly (pttl ${ttl})`);
    } finally {
      await noEs.close();
      await shared.del(`product:${fresh.id}`);
    }
  });
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// The product page's alsoViewed/alsoBought: asked from the recommendations service (a stub here) beside the cached
// page, with a short time limit; when it is unset, slow or down, each list is the page's related (more_like_this).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { StubCrud, createItem, deleteTestGroups, freePort, json, newSeller, startApp, type ItemJson } from './helpers.ts';

interface List { items: { id: string }[]; source: string }
interface Page { item: { id: string }; related: { id: string }[]; alsoViewed: List; alsoBought: List }

let item: ItemJson;
const stub = new StubCrud();
const apps: App[] = [];
const listOf = (source: string) => ({ items: [{ id: randomUUID(), name: 'x', brand: 'b', category: 'c', price: '1.00', currency: 'RUB', rating: { average: 0, count: 0 }, image: null, highlight: {} }], source });
const page = async (app: App) => {
  const res = await app.inject({ method: 'GET', url: `/api/products/${item.id}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Page;
};

before(async () => {
  item = await createItem(await newSeller());
  await stub.start();
});
after(async () => {
  for (const app of apps) await app.close();
  await stub.close();
  await deleteTestGroups();
});

describe('product page: alsoViewed and alsoBought', () => {
  it('carries the recommendations service’s lists, fresh on every answer (also from the cache)', async () => {
    const app = await startApp({ INVALIDATION_ENABLED: 'false', RECOMMENDATIONS_URL: stub.url, RECOMMENDATIONS_TIMEOUT_MS: '500' });
    apps.push(app);
    let viewed = listOf('also-viewed');
    const bought = listOf('also-bought');
    stub.handle = (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== `/api/recommendations/items/${item.id}` || url.searchParams.get('size') !== '8') return json(res, 404, {});
      return json(res, 200, url.searchParams.get('kind') === 'also-bought' ? bought : viewed);
    };
    const first = await page(app);
    assert.deepEqual(first.alsoViewed, viewed);
    assert.deepEqual(first.alsoBought, bought);
    viewed = listOf('similar');
    const second = await app.inject({ method: 'GET', url: `/api/products/${item.id}` });
    assert.equal(second.headers['x-cache'], 'hit');
    assert.deepEqual((second.json() as Page).alsoViewed, viewed);
  });

  it('falls back to the page’s related items (source related), in time, when the service is slow, failing, degraded, down or unset', async () => {
    const app = await startApp({ INVALIDATION_ENABLED: 'false', RECOMMENDATIONS_URL: stub.url, RECOMMENDATIONS_TIMEOUT_MS: '100' });
    apps.push(app);
    const check = (p: Page) => {
      assert.deepEqual(p.alsoViewed, { items: p.related, source: 'related' });
      assert.deepEqual(p.alsoBought, { items: p.related, source: 'related' });
    };
    stub.handle = (_req, res) => { setTimeout(() => json(res, 200, listOf('also-viewed')), 1_000); };
    const started = performance.now();
    check(await page(app));
    assert.ok(performance.now() - started < 900, 'not waiting for the slow service');
    stub.handle = (_req, res) => json(res, 503, { status: 503 });
    check(await page(app));
    stub.handle = (_req, res) => json(res, 200, { nonsense: true });
    check(await page(app));
    stub.handle = (_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'x-degraded': 'store-unavailable' }).end(JSON.stringify(listOf('popular'))); };
    check(await page(app));

    const down = await startApp({ INVALIDATION_ENABLED: 'false', RECOMMENDATIONS_URL: `http://127.0.0.1:${await freePort()}` });
    apps.push(down);
    check(await page(down));
    const unset = await startApp({ INVALIDATION_ENABLED: 'false' });
    apps.push(unset);
    check(await page(unset));
  });
});

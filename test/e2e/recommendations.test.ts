// Recommendations end to end through the proxy: shoppers' product pages (the facade's product_view events on
// user-activity) reach the running recommendations service; the personal list of a shopper who viewed one item
// names what others viewed with it, the item's also-viewed list too, and the product page carries it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { api, type ApiRequest } from '../../scripts/api.ts';
import { newUser } from '../../item-crud/test/helpers.ts';
import { waitFor } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const call = (path: string, init: ApiRequest = {}) => api(PROXY, path, init);
const anonymous = () => ({ 'x-anonymous-id': `e2e-rec-${randomBytes(6).toString('hex')}` });
interface List { items: { id: string; brand: string }[]; source: string }

describe('recommendations through the proxy', () => {
  it('views on product pages become also-viewed lists, personal lists and the page’s alsoViewed', async () => {
    const seller = await newUser('seller', 'e2e-rec-seller');
    const tag = randomBytes(3).toString('hex');
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const created = await call('/api/items', {
        method: 'POST', token: seller.token,
        body: { name: `Кроссовки Rec E2E ${tag} ${n}`, description: 'беговые', brand: `RecBrand${tag}${n}`, category: 'running-shoes', price: '4990.00', stock: 5 },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      ids.push(created.body.id as string);
    }
    const [a, b, c] = ids as [string, string, string];
    // three shoppers view a then b; one views b then c
    for (const pair of [[a, b], [a, b], [a, b], [b, c]]) {
      const who = anonymous();
      for (const id of pair) assert.equal((await call(`/api/products/${id}`, { headers: who })).status, 200);
    }
    // a shopper who viewed a: personal, b first (the shopper's own views invalidate their cached list)
    const shopper = anonymous();
    assert.equal((await call(`/api/products/${a}`, { headers: shopper })).status, 200);
    const mine = await waitFor('a personal list naming b', async () => {
      const res = await call('/api/recommendations/me?size=5', { headers: shopper });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const body = res.body as unknown as List;
      return body.source === 'personal' && body.items[0]?.id === b ? body : undefined;
    }, 60_000, 500);
    assert.ok(!mine.items.some((i) => i.id === a), 'never what the shopper has seen');

    // asked for the first time now that the views are in: also-viewed of a is b first
    const also = await call(`/api/recommendations/items/${a}?kind=also-viewed&size=5`);
    assert.equal(also.status, 200);
    assert.equal((also.body as unknown as List).source, 'also-viewed');
    assert.equal((also.body as unknown as List).items[0]?.id, b);
    assert.ok(!(also.body as unknown as List).items.some((i) => i.id === a));

    // the product page (its own call, size 8, may have been cached cold for up to 30 s while the views came in)
    const poller = anonymous(); // a shopper of their own: the polling views pair nothing with the test's items
    const page = await waitFor('the product page’s alsoViewed naming b', async () => {
      const res = await call(`/api/products/${c}`, { headers: poller });
      const body = res.body as unknown as { alsoViewed: List; alsoBought: List };
      return body.alsoViewed?.source === 'also-viewed' && body.alsoViewed.items[0]?.id === b ? body : undefined;
    }, 60_000, 1_000);
    assert.ok(Array.isArray(page.alsoBought.items));

    // bad input through the proxy: problem+json 400; unknown item 404
    const bad = await call('/api/recommendations/popular?size=0');
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal((await call('/api/recommendations/me')).status, 400);
    assert.equal((await call('/api/recommendations/items/00000000-0000-4000-8000-000000000000')).status, 404);
    const docs = await call('/docs/openapi.json');
    assert.equal(docs.status, 200);
    const paths = Object.keys((docs.body as { paths: object }).paths);
    for (const path of ['/api/recommendations/popular', '/api/recommendations/items/{id}', '/api/recommendations/me']) assert.ok(paths.includes(path), path);
  });

  it('a new item without interactions: similar items from the search index (more_like_this), never itself', async () => {
    const seller = await newUser('seller', 'e2e-rec-seller');
    const tag = randomBytes(4).toString('hex');
    const created = await call('/api/items', {
      method: 'POST', token: seller.token,
      body: { name: `Кроссовки для бега мужские ${tag}`, description: 'Лёгкие беговые кроссовки с амортизацией', brand: `NewBrand${tag}`, category: 'running-shoes', price: '5990.00', stock: 3 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    // asked only once the item is in the search index (an earlier answer would be cached for the TTL)
    await waitFor('the item in the search index', async () => {
      const res = await call(`/api/search?q=${tag}`, { headers: anonymous() });
      return (res.body as { items?: { id: string }[] }).items?.some((i) => i.id === id);
    }, 30_000, 300);
    const res = await call(`/api/recommendations/items/${id}?kind=also-viewed&size=5`);
    assert.equal(res.status, 200);
    const list = res.body as unknown as List;
    assert.equal(list.source, 'similar', JSON.stringify(list));
    assert.ok(list.items.length > 0 && !list.items.some((i) => i.id === id));
  });
});

// The product page's reviewSummary: asked from comment-analysis (a stub here) beside the cached page, with a short
// time limit; when comment-analysis is slow or down the page goes out without it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { StubCrud, createItem, deleteTestGroups, freePort, json, newSeller, startApp, type ItemJson } from './helpers.ts';

let item: ItemJson;
const stub = new StubCrud();
const apps: App[] = [];
const summaryOf = (itemId: string) => ({
  itemId, count: 2, sentiment: { positive: 1, neutral: 0, negative: 1 }, score: 0.1,
  aspects: [{ aspect: 'size', mentions: 2, positive: 0, negative: 2 }], praised: [], criticized: ['size'], updatedAt: new Date().toISOString(),
});
const page = async (app: App) => {
  const res = await app.inject({ method: 'GET', url: `/api/products/${item.id}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { item: { id: string }; reviewSummary?: ReturnType<typeof summaryOf> };
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

describe('product page: reviewSummary', () => {
  it('carries the summary comment-analysis answers, fresh on every answer (also from the cache)', async () => {
    const app = await startApp({ INVALIDATION_ENABLED: 'false', COMMENT_ANALYSIS_URL: stub.url, REVIEW_SUMMARY_TIMEOUT_MS: '500' });
    apps.push(app);
    let summary = summaryOf(item.id);
    stub.handle = (req, res) => (req.url === `/api/review-analysis/items/${item.id}` ? json(res, 200, summary) : json(res, 404, {}));
    const first = await page(app);
    assert.equal(first.item.id, item.id);
    assert.deepEqual(first.reviewSummary, summary);
    summary = { ...summary, count: 3, sentiment: { positive: 2, neutral: 0, negative: 1 } };
    const second = await app.inject({ method: 'GET', url: `/api/products/${item.id}` });
    assert.equal(second.headers['x-cache'], 'hit');
    assert.deepEqual((second.json() as { reviewSummary: unknown }).reviewSummary, summary);
  });

  it('goes out without it, in time, when comment-analysis is slow, down or answers something else', async () => {
    const app = await startApp({ INVALIDATION_ENABLED: 'false', COMMENT_ANALYSIS_URL: stub.url, REVIEW_SUMMARY_TIMEOUT_MS: '100' });
    apps.push(app);
    stub.handle = (_req, res) => { setTimeout(() => json(res, 200, summaryOf(item.id)), 1_000); };
    const started = performance.now();
    assert.equal((await page(app)).reviewSummary, undefined);
    assert.ok(performance.now() - started < 900, 'not waiting for the slow summary');
    stub.handle = (_req, res) => json(res, 503, { status: 503 });
    assert.equal((await page(app)).reviewSummary, undefined);
    stub.handle = (_req, res) => json(res, 200, summaryOf('00000000-0000-4000-8000-000000000000'));
    assert.equal((await page(app)).reviewSummary, undefined);

    const down = await startApp({ INVALIDATION_ENABLED: 'false', COMMENT_ANALYSIS_URL: `http://127.0.0.1:${await freePort()}` });
    apps.push(down);
    const p = await page(down);
    assert.equal(p.item.id, item.id);
    assert.equal(p.reviewSummary, undefined);
  });
});

// Review summaries in search end to end through the proxy: a seller's new item, customers' reviews praising its
// sound travel item-crud's outbox → comment-events → comment-analysis → review-summaries → item-crud (the summary on
// the item, a version bump) → item-events → item-etl → the index, until `praised=sound` finds the item with its
// reviewSummary, and the `reviews` sort and `minReviewScore` filter see it too.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { api, type ApiRequest } from '../../scripts/api.ts';
import { newUser } from '../../item-crud/test/helpers.ts';
import { waitFor } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const call = (path: string, init: ApiRequest = {}) => api(PROXY, path, init);

interface Hit { id: string; reviewSummary: { count: number; score: number; praised: string[]; criticized: string[] } }

describe('review summaries in search through the proxy', () => {
  it('an item whose reviews praise its sound is found with praised=sound, with its reviewSummary', async () => {
    const [seller, first, second] = await Promise.all([newUser('seller', 'e2e-sr-seller'), newUser('customer', 'e2e-sr-buyer'), newUser('customer', 'e2e-sr-buyer')]);
    // A word of this run only, so the query finds this item and no other run's.
    const word = `звукотест${randomUUID().replace(/[^a-f]/g, '').slice(0, 6).replace(/[a-f]/g, (c) => 'абвгде'['abcdef'.indexOf(c)]!)}`;
    const created = await call('/api/items', {
      method: 'POST', token: seller.token,
      body: { name: `Наушники беспроводные ${word}`, description: 'Накладные наушники с шумоподавлением', brand: 'Sonora', category: 'headphones', price: '7990.00', stock: 5 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const itemId = created.body.id as string;
    try {
      const q = `q=${encodeURIComponent(word)}`;
      // Indexed, without reviews yet: the praised filter does not find it.
      const plain = await waitFor('the new item in search', async () => {
        const res = await call(`/api/search?${q}`);
        return res.status === 200 && res.body.total === 1 ? res.body.items[0] as Hit : undefined;
      }, 30_000, 500);
      assert.deepEqual(plain.reviewSummary, { count: 0, score: 0, praised: [], criticized: [] });
      assert.equal((await call(`/api/search?${q}&praised=sound`)).body.total, 0);

      for (const [customer, text] of [[first, 'Звук отличный, чистый и объёмный. Рекомендую!'], [second, 'Great sound, really clear and punchy. Highly recommend.']] as const) {
        const posted = await call(`/api/items/${itemId}/comments`, { method: 'POST', token: customer.token, body: { rating: 5, text } });
        assert.equal(posted.status, 201, JSON.stringify(posted.body));
      }

      // Polled through the proxy once a second (well inside its rate limit) until the whole chain has run.
      const hit = await waitFor('the item found with praised=sound', async () => {
        const res = await call(`/api/search?${q}&praised=sound`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const found = (res.body.items as Hit[]).find((h) => h.id === itemId);
        return found && found.reviewSummary.count === 2 ? found : undefined;
      }, 90_000, 1_000);
      assert.ok(hit.reviewSummary.praised.includes('sound'), JSON.stringify(hit.reviewSummary));
      assert.ok(hit.reviewSummary.score > 0, JSON.stringify(hit.reviewSummary));
      assert.ok(!hit.reviewSummary.criticized.includes('sound'), JSON.stringify(hit.reviewSummary));

      const sorted = await call(`/api/search?${q}&sort=reviews&minReviewScore=0.1`);
      assert.equal(sorted.status, 200, JSON.stringify(sorted.body));
      assert.deepEqual((sorted.body.items as Hit[]).map((h) => h.id), [itemId]);
      assert.equal((await call(`/api/search?${q}&praised=battery`)).body.total, 0, 'an aspect nobody praised');

      const bad = await call(`/api/search?${q}&minReviewScore=2`);
      assert.equal(bad.status, 400);
      assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/);
    } finally {
      assert.equal((await call(`/api/items/${itemId}`, { method: 'DELETE', token: seller.token })).status, 204);
    }
  });
});

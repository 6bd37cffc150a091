// Review analysis end to end through the proxy: a customer's review posted to item-crud travels the outbox and
// comment-events to the running comment-analysis; the item's summary (public) and the review's analysis (admin)
// follow its creation, edit and deletion, and the product page carries the summary as reviewSummary.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { api, type ApiRequest } from '../../scripts/api.ts';
import { newAdmin, newUser } from '../../item-crud/test/helpers.ts';
import { waitFor } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const call = (path: string, init: ApiRequest = {}) => api(PROXY, path, init);

interface Summary { count: number; sentiment: { positive: number; neutral: number; negative: number }; praised: string[]; criticized: string[] }

describe('review analysis through the proxy', () => {
  it('create, edit and delete a review: the summary, the admin view and the product page follow', async () => {
    const [seller, customer, admin] = await Promise.all([newUser('seller', 'e2e-ra-seller'), newUser('customer', 'e2e-ra-buyer'), newAdmin()]);
    const created = await call('/api/items', {
      method: 'POST', token: seller.token,
      body: { name: 'Кроссовки для бега Review E2E', description: 'Лёгкие беговые кроссовки', brand: 'Stride', category: 'running-shoes', price: '5990.00', stock: 10 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const itemId = created.body.id as string;
    const summary = async () => {
      const res = await call(`/api/review-analysis/items/${itemId}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as unknown as Summary;
    };

    const posted = await call(`/api/items/${itemId}/comments`, { method: 'POST', token: customer.token, body: { rating: 2, text: 'Маломерят на размер, пришлось вернуть. Качество так себе.' } });
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    const commentId = posted.body.id as string;
    let s = await waitFor('the review in the summary', async () => { const x = await summary(); return x.count === 1 ? x : undefined; }, 30_000, 200);
    assert.deepEqual(s.sentiment, { positive: 0, neutral: 0, negative: 1 });
    assert.ok(s.criticized.includes('size'), JSON.stringify(s));

    const forAdmin = await call(`/api/review-analysis/comments/${commentId}`, { token: admin.token });
    assert.equal(forAdmin.status, 200, JSON.stringify(forAdmin.body));
    assert.equal(forAdmin.body.language, 'ru');
    assert.equal(forAdmin.body.sentiment, 'negative');
    assert.equal((await call(`/api/review-analysis/comments/${commentId}`, { token: customer.token })).status, 403);
    assert.equal((await call(`/api/review-analysis/comments/${commentId}`)).status, 401);

    const product = await waitFor('the product page with the summary', async () => {
      const res = await call(`/api/products/${itemId}`);
      return res.status === 200 && (res.body.reviewSummary as Summary | undefined)?.count === 1 ? res.body : undefined;
    }, 15_000, 200);
    assert.equal((product.reviewSummary as Summary).sentiment.negative, 1);

    const edited = await call(`/api/comments/${commentId}`, { method: 'PATCH', token: customer.token, body: { rating: 5, text: 'Поменял на размер больше — сидят отлично, очень удобные. Рекомендую!' } });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    s = await waitFor('the edit in the summary', async () => { const x = await summary(); return x.sentiment.positive === 1 ? x : undefined; }, 30_000, 200);
    assert.equal(s.count, 1);
    assert.ok(s.praised.includes('comfort'), JSON.stringify(s));

    assert.equal((await call(`/api/comments/${commentId}`, { method: 'DELETE', token: customer.token })).status, 204);
    s = await waitFor('the deletion in the summary', async () => { const x = await summary(); return x.count === 0 ? x : undefined; }, 30_000, 200);
    assert.equal((await call(`/api/review-analysis/comments/${commentId}`, { token: admin.token })).status, 404);
    assert.equal((await call('/api/review-analysis/items/not-a-uuid')).status, 400);
  });
});

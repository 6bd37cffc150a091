// Notifications end to end: an order document and order events on Kafka (as loms will publish them) become
// the buyer's notifications at the running notifier, read and marked read through the proxy; another
// person sees none of them and gets a 404 for their id.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { api, type ApiRequest } from '../../scripts/api.ts';
import { closeProducer, newEmail, newOrderUid, newUser, orderEvent, sendEvent, sendOrderDocument } from '../../notifier/test/helpers.ts';
import { waitFor } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const call = (path: string, init: ApiRequest = {}) => api(PROXY, path, init);

interface Item { id: string; kind: string; orderUid: string; title: string; readAt: string | null }

let buyer: Awaited<ReturnType<typeof newUser>>;
let other: Awaited<ReturnType<typeof newUser>>;
before(async () => {
  [buyer, other] = await Promise.all([newUser('e2e-buyer'), newUser('e2e-other')]);
});
after(closeProducer);

describe('notifications through the proxy', () => {
  it('lists the buyer\'s order events and marks one read', async () => {
    const orderUid = newOrderUid();
    await sendOrderDocument({ orderUid, customerId: buyer.id, email: newEmail('e2e'), locale: 'en' });
    await sendEvent(orderEvent('order.placed', { orderUid, customerId: buyer.id }, { occurredAt: new Date(Date.now() - 1000).toISOString() }));
    await sendEvent(orderEvent('order.shipped', { orderUid, customerId: buyer.id }, { version: 2 }));

    const items = await waitFor('both notifications at the notifier', async () => {
      const res = await call('/api/notifications', { token: buyer.token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const list = res.body.items as Item[];
      return list.length === 2 ? list : undefined;
    }, 20_000, 200);
    assert.deepEqual(items.map((n) => [n.kind, n.orderUid, n.title]), [['order.shipped', orderUid, `Order ${orderUid} shipped`], ['order.placed', orderUid, `Order ${orderUid} placed`]]);

    assert.equal((await call(`/api/notifications/${items[0]!.id}/read`, { method: 'POST', token: other.token })).status, 404);
    assert.equal((await call(`/api/notifications/${items[0]!.id}/read`, { method: 'POST', token: buyer.token })).status, 204);
    assert.equal((await call(`/api/notifications/${items[0]!.id}/read`, { method: 'POST', token: buyer.token })).status, 204);
    const unread = await call('/api/notifications?unread=true', { token: buyer.token });
    assert.deepEqual((unread.body.items as Item[]).map((n) => n.kind), ['order.placed']);
    assert.deepEqual((await call('/api/notifications', { token: other.token })).body.items, []);
  });

  it('is for signed-in people only and refuses bad ids', async () => {
    assert.equal((await call('/api/notifications')).status, 401);
    assert.equal((await call(`/api/notifications/${randomUUID()}/read`, { method: 'POST' })).status, 401);
    assert.equal((await call('/api/notifications/not-an-id/read', { method: 'POST', token: buyer.token })).status, 400);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActivityEvent, OrderEvent } from '@shop/contracts';
import { fromActivity, fromOrder } from './events.ts';
import { Model } from './model.ts';

const ITEM = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const USER = 'AAAAAAAA-1111-4111-8111-111111111111';
const base = { eventId: '33333333-3333-4333-8333-333333333333', occurredAt: '2026-12-01T10:00:00Z' } as const;

describe('events into the model', () => {
  it('product_view is a view, add_to_cart a cart; clicks, searches, removals, pages and derived purchases are not counted', () => {
    assert.deepEqual(fromActivity({ ...base, type: 'product_view', anonymousId: 'client-123456', itemId: ITEM } as ActivityEvent),
      { kind: 'view', actor: 'anon:client-123456', item: ITEM, at: Date.parse(base.occurredAt), session: 'anon:client-123456' });
    assert.equal(fromActivity({ ...base, type: 'add_to_cart', anonymousId: 'client-123456', userId: USER, itemId: ITEM, quantity: 1, sessionId: 'tab-12345678' } as ActivityEvent)?.session, 'session:tab-12345678');
    assert.equal(fromActivity({ ...base, type: 'add_to_cart', anonymousId: 'client-123456', userId: USER, itemId: ITEM, quantity: 1 } as ActivityEvent)?.actor, `user:${USER.toLowerCase()}`);
    for (const type of ['search_click', 'remove_from_cart', 'purchase', 'page_view', 'search'] as const) {
      assert.equal(fromActivity({ ...base, type, anonymousId: 'client-123456', itemId: ITEM } as ActivityEvent), null, type);
    }
  });

  it('a visitor without identity (the emitter’s "anonymous") counts for popularity only: no history, no pairs', () => {
    const view = (item: string) => fromActivity({ ...base, type: 'product_view', anonymousId: 'anonymous', itemId: item } as ActivityEvent)!;
    assert.deepEqual([view(ITEM).actor, view(ITEM).session], ['', '']);
    const m = new Model();
    m.apply(view(ITEM));
    m.apply(view(OTHER));
    assert.equal(m.popularity.size, 2);
    assert.equal(m.coView.size, 0);
    assert.equal(m.history.size, 0);
  });

  it('order.paid is a purchase of its distinct items by the customer; other order events are not', () => {
    const order = {
      id: base.eventId, type: 'order.paid', version: 2, occurredAt: base.occurredAt, source: 't',
      data: { orderUid: 'o1', customerId: USER, status: 'paid', total: '3.00', currency: 'RUB', lines: [OTHER, ITEM, OTHER].map((itemId) => ({ itemId, sellerId: USER, quantity: 1, price: '1.00' })) },
    } as OrderEvent;
    assert.deepEqual(fromOrder(order), { kind: 'purchase', actor: `user:${USER.toLowerCase()}`, items: [ITEM, OTHER], at: Date.parse(base.occurredAt), order: 'o1' });
    assert.equal(fromOrder({ ...order, type: 'order.placed', data: { ...order.data, status: 'placed' } }), null);
  });
});

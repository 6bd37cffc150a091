import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ActivityEvent } from '@shop/contracts';
import { Deltas, actorOf, hourOf, splitKey, toCents } from './deltas.ts';

const base = { anonymousId: 'anon-12345678', occurredAt: '2026-12-02T10:15:00.000Z' };
const ev = (e: Partial<ActivityEvent> & Pick<ActivityEvent, 'type'>): ActivityEvent => ({ eventId: randomUUID(), ...base, ...e });

describe('aggregate deltas', () => {
  it('buckets by UTC hour and counts per item, query and site', () => {
    const item = randomUUID();
    const d = new Deltas();
    d.add(ev({ type: 'product_view', itemId: item }));
    d.add(ev({ type: 'product_view', itemId: item, occurredAt: '2026-12-02T10:59:59.999Z' }));
    d.add(ev({ type: 'add_to_cart', itemId: item, quantity: 3 }));
    d.add(ev({ type: 'purchase', itemId: item, quantity: 2, value: '3999.80', currency: 'RUB', userId: randomUUID() }));
    d.add(ev({ type: 'search', queryId: randomUUID(), query: 'red | kettle', results: 0 }));
    d.add(ev({ type: 'search', queryId: randomUUID(), query: 'red | kettle', results: 4, occurredAt: '2026-12-02T11:00:00.000Z' }));
    assert.deepEqual(d.items.get(`2026-12-02T10:00:00.000Z|${item}`), { views: 2, carts: 3, cartRemovals: 0, purchases: 2, revenueCents: 399980 });
    assert.equal(d.queries.get('2026-12-02T10:00:00.000Z|red | kettle')?.noResults, 1);
    assert.equal(d.queries.get('2026-12-02T11:00:00.000Z|red | kettle')?.searches, 1);
    assert.equal(d.site.get('2026-12-02T10:00:00.000Z')?.events, 5);
    assert.deepEqual(splitKey([...d.queryActors][0]!, 3), ['2026-12-02', 'red | kettle', 'a:anon-12345678']);
    assert.equal(d.queryActors.size, 1, 'one shopper, one query, one day: counted once');
  });

  it('helpers', () => {
    assert.equal(hourOf('2026-12-02T23:59:59.999+03:00'), '2026-12-02T20:00:00.000Z');
    assert.equal(toCents('0.29'), 29);
    assert.equal(toCents('1999.90'), 199990);
    assert.equal(actorOf({ userId: 'u1', anonymousId: 'x' }), 'u:u1');
  });
});

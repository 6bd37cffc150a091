import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ACTIVITY_TYPES, REQUIRED_BY_TYPE, activityKey, anonymousIdFrom, decodeActivityEvent, encodeActivityEvent, normalizeQuery, validateActivityEvent, type ActivityEvent } from './activity-events.ts';

const complete: Record<string, Partial<ActivityEvent>> = {
  search: { queryId: randomUUID(), query: 'kettle', results: 3 },
  search_click: { queryId: randomUUID(), itemId: randomUUID(), position: 1 },
  product_view: { itemId: randomUUID() },
  add_to_cart: { itemId: randomUUID(), quantity: 2, value: '1999.90', currency: 'RUB' },
  remove_from_cart: { itemId: randomUUID(), quantity: 1 },
  purchase: { itemId: randomUUID(), quantity: 1, value: '10.00', currency: 'RUB', userId: randomUUID(), orderUid: 'A1' },
  page_view: { path: '/catalog/kettles' },
};
const event = (type: ActivityEvent['type'], extra: Partial<ActivityEvent> = {}): ActivityEvent =>
  ({ eventId: randomUUID(), type, occurredAt: new Date().toISOString(), anonymousId: 'anon-12345678', ...complete[type], ...extra }) as ActivityEvent;

describe('activity event contract', () => {
  it('accepts each type with its fields and round-trips through bytes', () => {
    for (const type of ACTIVITY_TYPES) {
      const e = event(type);
      const decoded = decodeActivityEvent(encodeActivityEvent(e));
      assert.equal(decoded.ok, true, type);
      assert.deepEqual(decoded.ok && decoded.value, e);
    }
  });

  it('refuses an event without the fields its type needs, unknown fields (an IP address), bad values', () => {
    for (const type of ACTIVITY_TYPES) {
      for (const field of REQUIRED_BY_TYPE[type]) {
        const e = event(type);
        delete (e as Partial<ActivityEvent>)[field];
        const v = validateActivityEvent(e);
        assert.equal(v.ok, false, `${type} without ${field}`);
      }
    }
    assert.equal(validateActivityEvent({ ...event('page_view'), ip: '203.0.113.9' }).ok, false);
    assert.equal(validateActivityEvent(event('search_click', { position: 0 })).ok, false);
    assert.equal(validateActivityEvent(event('page_view', { anonymousId: 'short' })).ok, false);
    assert.equal(validateActivityEvent(event('page_view', { path: 'no-slash' })).ok, false);
    assert.equal(validateActivityEvent(event('page_view', { occurredAt: '2026-13-45T99:99:99Z' })).ok, false);
    assert.throws(() => encodeActivityEvent(event('product_view', { itemId: 'x' })), /invalid activity event/);
    assert.equal(decodeActivityEvent(Buffer.from('{')).ok, false);
  });

  it('keys by user id, else anonymous id; normalizes queries; checks anonymous ids', () => {
    const userId = randomUUID();
    assert.equal(activityKey(event('page_view', { userId })), userId);
    assert.equal(activityKey(event('page_view')), 'anon-12345678');
    assert.equal(normalizeQuery('  Чайник   ЭЛЕКТРИЧЕСКИЙ\t'), 'чайник электрический');
    assert.equal(normalizeQuery('ｋｅｔｔｌｅ'), 'kettle');
    assert.equal(anonymousIdFrom('anon-12345678'), 'anon-12345678');
    assert.equal(anonymousIdFrom(['anon-12345678']), undefined);
    assert.equal(anonymousIdFrom('bad id!'), undefined);
  });
});

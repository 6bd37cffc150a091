import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { screen, type ScreenContext } from './collector.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const ctx = (extra: Partial<ScreenContext> = {}): ScreenContext => ({ now: NOW, maxAgeMs: 24 * 3_600_000, maxFutureMs: 60_000, ...extra });
const click = (extra: Record<string, unknown> = {}) => ({ type: 'search_click', queryId: randomUUID(), itemId: randomUUID(), position: 3, ...extra });

describe('collector screening', () => {
  it('accepts client events, completing id, time and the anonymous id from the header', () => {
    const { accepted, rejected } = screen([click(), { type: 'page_view', path: '/catalog/kettles' }], ctx({ anonymousId: 'anon-12345678' }));
    assert.deepEqual(rejected, []);
    assert.equal(accepted.length, 2);
    for (const e of accepted) {
      assert.match(e.eventId, /^[0-9a-f-]{36}$/);
      assert.equal(e.occurredAt, new Date(NOW).toISOString());
      assert.equal(e.anonymousId, 'anon-12345678');
      assert.equal(e.userId, undefined);
    }
  });

  it('takes the user id from the token only; a signed-in caller needs no anonymous id', () => {
    const userId = randomUUID();
    const { accepted, rejected } = screen([click(), click({ userId: randomUUID() })], ctx({ userId }));
    assert.equal(accepted[0]?.userId, userId);
    assert.equal(accepted[0]?.anonymousId, `user:${userId}`);
    assert.deepEqual(rejected.map((r) => [r.index, r.reason]), [[1, 'user-id-not-accepted']]);
  });

  it('rejects each bad event on its own with a reason', () => {
    const id = randomUUID();
    const events = [
      click({ anonymousId: 'anon-abcdefgh' }), // 0 ok (own anonymous id)
      click(), // 1 no anonymous id at all
      { type: 'product_view', itemId: randomUUID(), anonymousId: 'anon-abcdefgh' }, // 2 server-side type
      { type: 'nonsense', anonymousId: 'anon-abcdefgh' }, // 3
      'text', // 4
      click({ anonymousId: 'anon-abcdefgh', occurredAt: new Date(NOW - 25 * 3_600_000).toISOString() }), // 5 too old
      click({ anonymousId: 'anon-abcdefgh', occurredAt: new Date(NOW + 10 * 60_000).toISOString() }), // 6 future
      click({ anonymousId: 'anon-abcdefgh', position: 0 }), // 7 invalid position
      click({ anonymousId: 'anon-abcdefgh', eventId: id }), // 8 ok
      click({ anonymousId: 'anon-abcdefgh', eventId: id }), // 9 duplicate in batch
      { type: 'search_click', anonymousId: 'anon-abcdefgh', itemId: randomUUID(), position: 1 }, // 10 no queryId
      click({ anonymousId: 'short' }), // 11 bad anonymous id
      click({ anonymousId: 'anon-abcdefgh', occurredAt: 'yesterday' }), // 12
      click({ anonymousId: 'anon-abcdefgh', ip: '1.2.3.4' }), // 13 unknown field
    ];
    const { accepted, rejected } = screen(events, ctx());
    assert.equal(accepted.length, 2);
    assert.deepEqual(rejected.map((r) => [r.index, r.reason]), [
      [1, 'anonymous-id-required'], [2, 'type-not-accepted'], [3, 'type-not-accepted'], [4, 'not-an-object'], [5, 'too-old'], [6, 'in-the-future'],
      [7, 'invalid'], [9, 'duplicate'], [10, 'invalid'], [11, 'invalid'], [12, 'invalid'], [13, 'invalid'],
    ]);
    assert.match(rejected.find((r) => r.index === 10)!.detail, /queryId/);
  });

  it('accepts a small clock skew into the future and events up to 24 h old', () => {
    const { accepted } = screen([
      click({ occurredAt: new Date(NOW + 30_000).toISOString() }),
      click({ occurredAt: new Date(NOW - 23 * 3_600_000).toISOString() }),
    ], ctx({ anonymousId: 'anon-12345678' }));
    assert.equal(accepted.length, 2);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ORDER_EVENT_TYPES, ORDER_STATUS_BY_EVENT, decodeOrderEvent, encodeOrderEvent, validateOrderEvent, type OrderEvent } from './order-events.ts';

function event(overrides: Partial<OrderEvent> = {}, data: Partial<OrderEvent['data']> = {}): OrderEvent {
  return {
    id: randomUUID(), type: 'order.placed', version: 1, occurredAt: new Date().toISOString(), source: 'loms',
    data: {
      orderUid: 'b563feb7b2b84b6test', customerId: randomUUID(), status: 'placed', total: '3999.80', currency: 'RUB',
      lines: [{ itemId: randomUUID(), sellerId: randomUUID(), quantity: 2, price: '1999.90' }], ...data,
    },
    ...overrides,
  };
}

describe('order event contract', () => {
  it('accepts every event type with its status and round-trips through bytes', () => {
    for (const type of ORDER_EVENT_TYPES) {
      const e = event({ type }, { status: ORDER_STATUS_BY_EVENT[type] });
      const decoded = decodeOrderEvent(encodeOrderEvent(e));
      assert.equal(decoded.ok, true, type);
      assert.deepEqual(decoded.ok && decoded.value, e);
    }
  });

  it('refuses a status that does not fit the type', () => {
    const result = validateOrderEvent(event({ type: 'order.paid' }, { status: 'placed' }));
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.errors[0]! : '', /status/);
    assert.throws(() => encodeOrderEvent(event({ type: 'order.shipped' })), /invalid order event/);
  });

  it('refuses unknown types, extra fields (no personal data rides along), bad ids, amounts and lines', () => {
    const bad: unknown[] = [
      event({ type: 'order.lost' as OrderEvent['type'] }),
      { ...event(), extra: 1 },
      event({}, { email: 'a@b.example' } as Partial<OrderEvent['data']>),
      event({ id: 'not-a-uuid' }),
      event({}, { customerId: 'someone' }),
      event({}, { orderUid: '' }),
      event({}, { orderUid: 'a\u0000b' }),
      event({}, { total: '10' }),
      event({}, { total: '-1.00' }),
      event({}, { currency: 'rub' }),
      event({}, { lines: [] }),
      event({}, { lines: [{ itemId: randomUUID(), sellerId: randomUUID(), quantity: 0, price: '1.00' }] }),
      event({ version: 0 }),
      event({ occurredAt: 'yesterday' }),
    ];
    for (const value of bad) assert.equal(validateOrderEvent(value).ok, false, JSON.stringify(value));
  });

  it('names empty and non-JSON values', () => {
    const empty = decodeOrderEvent(Buffer.alloc(0));
    assert.deepEqual(empty, { ok: false, errors: ['empty message value'] });
    const garbage = decodeOrderEvent(Buffer.from('{nope'));
    assert.equal(garbage.ok, false);
    assert.match(!garbage.ok ? garbage.errors[0]! : '', /^not JSON/);
  });
});

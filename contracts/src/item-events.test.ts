import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeItemEvent, encodeItemEvent, encodeProducedItemEvent, validateItemEvent, type ItemEvent } from './item-events.ts';

function event(overrides: Partial<ItemEvent> = {}, data: Partial<ItemEvent['data']> = {}): ItemEvent {
  const now = new Date().toISOString();
  return {
    id: randomUUID(), type: 'item.created', version: 1, occurredAt: now, source: 'item-crud',
    data: {
      id: randomUUID(), article: 2389212, sellerId: randomUUID(), name: 'Кроссовки Nike Air', description: 'Беговые', brand: 'Nike',
      category: 'running-shoes', price: '1999.90', currency: 'RUB', stock: 3, attributes: { size: 42, color: 'black' },
      images: [], status: 'active', version: 1, createdAt: now, updatedAt: now, ...data,
    },
    ...overrides,
  };
}

describe('item event contract', () => {
  it('accepts a well-formed event and round-trips through bytes', () => {
    const e = event();
    const decoded = decodeItemEvent(encodeItemEvent(e));
    assert.equal(decoded.ok, true);
    assert.deepEqual(decoded.ok && decoded.value, e);
  });

  it('article: consumers accept events without it (published before it existed), producers must send it', () => {
    const old = event();
    delete old.data.article;
    const bytes = Buffer.from(JSON.stringify(old));
    const decoded = decodeItemEvent(bytes);
    assert.equal(decoded.ok, true);
    assert.equal(decoded.ok && decoded.value.data.article, undefined);
    assert.equal(decodeItemEvent(encodeItemEvent(old)).ok, true);
    assert.throws(() => encodeProducedItemEvent(old), /article/);
    assert.equal(decodeItemEvent(encodeProducedItemEvent(event({}, { article: 1 }))).ok, true);
    for (const article of [0, -5, 1.5, '12', 2_147_483_648]) {
      assert.equal(validateItemEvent(event({}, { article: article as number })).ok, false, String(article));
    }
  });

  it('rejects bad prices', () => {
    for (const price of ['0.00', '-1.00', '19.9', '1e3', 'abc', '01.00']) {
      const r = validateItemEvent(event({}, { price }));
      assert.equal(r.ok, false, price);
    }
    for (const price of ['0.01', '1999.90', '10.00']) assert.equal(validateItemEvent(event({}, { price })).ok, true, price);
  });

  it('rejects unknown types, unknown fields and version mismatches', () => {
    assert.equal(validateItemEvent({ ...event(), type: 'item.renamed' }).ok, false);
    assert.equal(validateItemEvent({ ...event(), extra: 1 }).ok, false);
    const mismatch = validateItemEvent(event({ version: 2 }));
    assert.equal(mismatch.ok, false);
    assert.match(mismatch.ok ? '' : mismatch.errors.join(), /differs/);
  });

  it('ties item.deleted to status deleted', () => {
    assert.equal(validateItemEvent(event({ type: 'item.deleted' })).ok, false);
    assert.equal(validateItemEvent(event({ type: 'item.deleted' }, { status: 'deleted' })).ok, true);
    assert.equal(validateItemEvent(event({ type: 'item.updated' }, { status: 'deleted' })).ok, false);
  });

  it('reports undecodable bytes instead of throwing', () => {
    assert.deepEqual(decodeItemEvent(null), { ok: false, errors: ['empty message value'] });
    const r = decodeItemEvent(Buffer.from('{not json'));
    assert.equal(r.ok, false);
    assert.throws(() => encodeItemEvent({ ...event(), source: '' }), /invalid item event/);
  });
});

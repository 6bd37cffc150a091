import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { toCatalogItem } from './catalog.ts';

const base = (id: string) => ({ id, name: 'Kettle', price: '10.00', currency: 'RUB', stock: 5, status: 'active', sellerId: randomUUID(), brand: 'Bosch', images: [] });

describe('toCatalogItem', () => {
  it("takes item-crud's available (stock − reserved) as the stock when it sends it", () => {
    const id = randomUUID();
    assert.equal(toCatalogItem(id, base(id))?.stock, 5);
    assert.equal(toCatalogItem(id, { ...base(id), reserved: 3, available: 2 })?.stock, 2);
  });

  it('uses the thumbnail of the first image by position', () => {
    const id = randomUUID();
    const images = [{ position: 2, thumbUrl: '/b?size=thumb', url: '/b' }, { position: 1, thumbUrl: '/a?size=thumb', url: '/a' }];
    assert.equal(toCatalogItem(id, { ...base(id), images })?.image, '/a?size=thumb');
    assert.equal(toCatalogItem(id, base(id))?.image, null);
  });

  it('refuses a body that is not this item', () => {
    const id = randomUUID();
    assert.equal(toCatalogItem(id, { ...base(id), id: randomUUID() }), undefined);
    assert.equal(toCatalogItem(id, { ...base(id), price: 10 }), undefined);
    assert.equal(toCatalogItem(id, { ...base(id), stock: 1.5 }), undefined);
    assert.equal(toCatalogItem(id, null), undefined);
  });
});

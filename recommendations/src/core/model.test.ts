import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Model, type ItemInfo } from './model.ts';

const T = Date.UTC(2026, 11, 1);
const item = (id: string, over: Partial<ItemInfo> = {}): ItemInfo => ({ id, category: 'phones', brand: id, status: 'active', stock: 5, ...over });
const opts = { size: 10, maxPerBrand: 2, now: T };

function model(ids: string[], over: Record<string, Partial<ItemInfo>> = {}) {
  const m = new Model();
  for (const id of ids) m.upsertItem(item(id, over[id]));
  return m;
}

describe('the incremental model', () => {
  it('also-viewed: items of the same session, a session counted once per pair; a gap starts a new session', () => {
    const m = model(['a', 'b', 'c', 'd']);
    for (const [i, id] of ['a', 'b', 'a', 'c'].entries()) m.apply({ kind: 'view', actor: 'u', item: id, at: T + i * 1000, session: 's' });
    assert.equal(m.coView.get('a')!.get('b'), 1);
    assert.equal(m.viewCount.get('a'), 1);
    m.apply({ kind: 'view', actor: 'u', item: 'd', at: T + 2 * 3600_000, session: 's' }); // 2 h later: a new session
    assert.equal(m.coView.get('d'), undefined);
    assert.deepEqual(m.also('a', 'also-viewed', opts).source, 'also-viewed');
    assert.ok(!m.also('a', 'also-viewed', opts).items.includes('a'));
    assert.deepEqual(new Set(m.neighbours('a', 'also-viewed').map((n) => n.item)), new Set(['b', 'c']));
  });

  it('also-bought from orders; an order counts once however often it comes', () => {
    const m = model(['a', 'b', 'c']);
    m.apply({ kind: 'purchase', actor: 'u', items: ['a', 'b'], at: T, order: 'o1' });
    m.apply({ kind: 'purchase', actor: 'u', items: ['a', 'b'], at: T, order: 'o1' });
    assert.equal(m.coBuy.get('a')!.get('b'), 1);
    assert.deepEqual(m.also('a', 'also-bought', opts), { items: ['b'], source: 'also-bought' });
  });

  it('falls back to popular in the item’s category when it has no neighbours (cold item), never itself', () => {
    const m = model(['a', 'b', 'c'], { c: { category: 'cases' } });
    m.apply({ kind: 'view', actor: 'u', item: 'b', at: T, session: 's1' });
    m.apply({ kind: 'view', actor: 'v', item: 'c', at: T, session: 's2' });
    assert.deepEqual(m.also('a', 'also-viewed', opts), { items: ['b'], source: 'popular-category' });
  });

  it('excludes deleted, hidden and out-of-stock items as soon as their item event arrives', () => {
    const m = model(['a', 'b', 'c', 'd']);
    for (const id of ['b', 'c', 'd']) m.apply({ kind: 'view', actor: 'u', item: id, at: T, session: 's' });
    m.apply({ kind: 'view', actor: 'u', item: 'a', at: T, session: 's' });
    assert.equal(m.also('a', 'also-viewed', opts).items.length, 3);
    m.upsertItem(item('b', { status: 'deleted' }));
    m.upsertItem(item('c', { status: 'hidden' }));
    m.upsertItem(item('d', { stock: 0 }));
    assert.deepEqual(m.also('a', 'also-viewed', opts).items, []);
    assert.deepEqual(m.popular(opts).items, ['a']);
  });

  it('popular: per category, recent weighs more than old, at most maxPerBrand of a brand', () => {
    const m = model(['old', 'new', 'x1', 'x2', 'x3', 'case'], { x1: { brand: 'X' }, x2: { brand: 'X' }, x3: { brand: 'X' }, case: { category: 'cases' } });
    for (let i = 0; i < 3; i++) m.apply({ kind: 'view', actor: `o${i}`, item: 'old', at: T - 21 * 86_400_000, session: `o${i}` });
    m.apply({ kind: 'view', actor: 'n', item: 'new', at: T, session: 'n' });
    for (const id of ['x1', 'x2', 'x3', 'case']) m.apply({ kind: 'cart', actor: 'c', item: id, at: T - 1000, session: 'c' });
    const list = m.popular({ ...opts, category: 'phones' }).items;
    assert.deepEqual(list.slice(0, 2), ['x1', 'x2']);
    assert.ok(!list.includes('x3') && !list.includes('case'));
    assert.ok(list.indexOf('new') < list.indexOf('old'));
  });

  it('personal: through the neighbours, minus bought and seen; a new shopper gets popular; source says which', () => {
    const m = model(['a', 'b', 'c', 'd', 'e'], { e: { category: 'cases' } });
    // others: a goes with b; c is popular overall
    for (let s = 0; s < 3; s++) {
      m.apply({ kind: 'view', actor: `x${s}`, item: 'a', at: T, session: `x${s}` });
      m.apply({ kind: 'view', actor: `x${s}`, item: 'b', at: T, session: `x${s}` });
    }
    for (let s = 0; s < 9; s++) m.apply({ kind: 'view', actor: `y${s}`, item: 'e', at: T, session: `y${s}` });
    m.apply({ kind: 'purchase', actor: 'me', items: ['a'], at: T, order: 'o' });
    const mine = m.personal('me', opts);
    assert.equal(mine.source, 'personal');
    assert.equal(mine.items[0], 'b');
    assert.ok(!mine.items.includes('a'));
    const stranger = m.personal('nobody', opts);
    assert.equal(stranger.source, 'popular');
    assert.equal(stranger.items[0], 'e');
    // history without neighbours: popular in the caller's categories first
    m.apply({ kind: 'view', actor: 'lonely', item: 'd', at: T, session: 'l' });
    const lonely = m.personal('lonely', opts);
    assert.equal(lonely.source, 'popular-category');
    assert.ok(!lonely.items.includes('d'));
    assert.ok(lonely.items.indexOf('a') < lonely.items.indexOf('e'));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DAY_MS, assemble, cosine, decayedWeight, fuse, historyWeights, interleave, neighboursFrom, personalScores, personalStages, preferredCategories, scoreAt,
  type ItemFacts,
} from './rank.ts';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

describe('popularity with time decay', () => {
  it('a week-old view is worth half of one now; stored scores rank as decayed ones do', () => {
    const now = Date.UTC(2026, 11, 1);
    const week = 7 * DAY_MS;
    close(scoreAt(decayedWeight(1, now - week, week), now, week), 0.5);
    close(scoreAt(decayedWeight(5, now, week), now, week), 5);
    // 3 views two weeks ago (0.75) < 1 view now
    const old = 3 * decayedWeight(1, now - 2 * week, week);
    assert.ok(old < decayedWeight(1, now, week));
  });
});

describe('item-to-item similarity', () => {
  it('cosine: shared sessions over the geometric mean of each item’s sessions', () => {
    close(cosine(2, 4, 4), 0.5);
    close(cosine(3, 100, 4), 0.15);
    assert.equal(cosine(0, 4, 4), 0);
    assert.equal(cosine(1, 0, 4), 0);
  });
  it('a blockbuster in every session does not top a niche item that goes with the item', () => {
    const counts: Record<string, number> = { x: 10, blockbuster: 1000, niche: 12 };
    const list = neighboursFrom('x', [['blockbuster', 9], ['niche', 8], ['x', 10]], (id) => counts[id] ?? 0);
    assert.deepEqual(list.map((n) => n.item), ['niche', 'blockbuster']);
  });
  it('never the item itself; below the minimum co-count not a neighbour', () => {
    const list = neighboursFrom('x', [['x', 5], ['y', 1], ['z', 3]], () => 5, 2);
    assert.deepEqual(list.map((n) => n.item), ['z']);
  });
});

describe('personal scores', () => {
  it('through the neighbours of the caller’s items, more recent and stronger interactions weigh more', () => {
    const now = Date.UTC(2026, 11, 1);
    const weights = historyWeights([
      { item: 'a', kind: 'view', at: now - 6 * DAY_MS },
      { item: 'b', kind: 'purchase', at: now },
    ], now);
    close(weights.get('a')!, 0.25);
    close(weights.get('b')!, 5);
    const nb: Record<string, { item: string; score: number }[]> = {
      a: [{ item: 'p', score: 0.9 }, { item: 'b', score: 0.9 }],
      b: [{ item: 'q', score: 0.1 }, { item: 'r', score: 0.5 }, { item: 'bought', score: 1 }],
    };
    const scores = personalScores(weights, (i) => nb[i] ?? [], new Set(['bought']));
    assert.deepEqual(scores.map((s) => s.item), ['r', 'q', 'p']); // r 2.5, q 0.5, p 0.225; b is history, bought excluded
  });
  it('categories by weight; stages fall back from fused to popular-in-categories', () => {
    const cat = (i: string) => ({ a: 'phones', b: 'cases', c: 'phones' })[i];
    assert.deepEqual(preferredCategories(new Map([['a', 1], ['b', 3], ['c', 1.5]]), cat), ['cases', 'phones']); // cases 3 > phones 2.5
    assert.deepEqual(personalStages([], []), []);
    assert.deepEqual(personalStages([], ['x']), [{ source: 'popular-category', items: ['x'] }]);
    assert.deepEqual(personalStages(['k'], []), [{ source: 'personal', items: ['k'] }]);
    assert.deepEqual(personalStages(['k', 'x'], ['x', 'y'])[0], { source: 'personal', items: ['x', 'k', 'y'] });
  });
  it('fuse and interleave', () => {
    assert.deepEqual(fuse([{ items: ['a', 'b'], weight: 1 }, { items: ['b', 'c'], weight: 1 }]), ['b', 'a', 'c']);
    assert.deepEqual(interleave([['a', 'b', 'c'], ['x', 'a']]), ['a', 'x', 'b', 'c']);
  });
});

describe('assembling a list', () => {
  const facts: Record<string, ItemFacts> = {
    a1: { brand: 'Acme', category: 'c', available: true },
    a2: { brand: 'ACME', category: 'c', available: true },
    a3: { brand: 'acme', category: 'c', available: true },
    b1: { brand: 'Bolt', category: 'c', available: true },
    gone: { brand: 'Bolt', category: 'c', available: false },
    p1: { brand: 'Pop', category: 'c', available: true },
    p2: { brand: 'Pop', category: 'c', available: true },
  };
  const f = (id: string) => facts[id];
  it('keeps at most maxPerBrand of a brand (case-insensitive), skips unavailable, unknown and excluded items', () => {
    const out = assemble([{ source: 'also-viewed', items: ['a1', 'gone', 'a2', 'unknown', 'a3', 'b1', 'self'] }], f, { size: 10, maxPerBrand: 2, exclude: new Set(['self', 'b1']) });
    assert.deepEqual(out, { items: ['a1', 'a2'], source: 'also-viewed' });
  });
  it('fills from the fallback stage without duplicates; source is the first stage that contributed', () => {
    assert.deepEqual(assemble([{ source: 'personal', items: ['b1'] }, { source: 'popular', items: ['b1', 'p1', 'p2', 'a1'] }], f, { size: 3, maxPerBrand: 3 }),
      { items: ['b1', 'p1', 'p2'], source: 'personal' });
    assert.deepEqual(assemble([{ source: 'personal', items: ['gone'] }, { source: 'popular', items: ['p1'] }], f, { size: 3, maxPerBrand: 3 }),
      { items: ['p1'], source: 'popular' });
    assert.deepEqual(assemble([{ source: 'popular', items: [] }], f, { size: 3, maxPerBrand: 3 }), { items: [], source: 'popular' });
  });
});

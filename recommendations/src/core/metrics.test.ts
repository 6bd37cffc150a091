import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coverage, hitRate, ndcg, precision } from './metrics.ts';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

describe('metrics on hand-computed cases', () => {
  const rec = ['a', 'b', 'c', 'd', 'e'];
  it('hit rate: 1 when any of the first k is relevant', () => {
    assert.equal(hitRate(rec, new Set(['c']), 10), 1);
    assert.equal(hitRate(rec, new Set(['c']), 2), 0);
    assert.equal(hitRate(rec, new Set(['z']), 10), 0);
    assert.equal(hitRate([], new Set(['a']), 10), 0);
  });
  it('precision: hits over k, a short list not rewarded', () => {
    close(precision(rec, new Set(['a', 'c', 'z']), 10), 0.2);
    close(precision(rec, new Set(['a', 'c', 'z']), 2), 0.5);
    close(precision(rec, new Set(), 10), 0);
  });
  it('NDCG: hits at ranks 1 and 3 of two relevant items = (1 + 1/2) / (1 + 1/log2 3)', () => {
    close(ndcg(rec, new Set(['a', 'c']), 10), (1 + 0.5) / (1 + 1 / Math.log2(3)));
    // one relevant item at rank 2: 1/log2(3) over the ideal 1
    close(ndcg(rec, new Set(['b']), 10), 1 / Math.log2(3));
    // a perfect list
    close(ndcg(rec, new Set(['a', 'b']), 10), 1);
    // three relevant, only one found at rank 4: (1/log2 5) / (1 + 1/log2 3 + 1/2)
    close(ndcg(rec, new Set(['d', 'x', 'y']), 10), (1 / Math.log2(5)) / (1 + 1 / Math.log2(3) + 0.5));
    // the ideal is capped at k: 12 relevant, k = 2, hits at 1 and 2 → 1
    close(ndcg(rec, new Set(['a', 'b', ...'ghijklmnop']), 2), 1);
    // beyond k does not count
    close(ndcg(rec, new Set(['e']), 4), 0);
    close(ndcg(rec, new Set(), 10), 0);
  });
  it('coverage: distinct recommended items (top k) over the catalog', () => {
    close(coverage([['a', 'b'], ['b', 'c'], ['d']], 8, 10), 4 / 8);
    close(coverage([['a', 'b', 'c'], ['d', 'e']], 10, 1), 2 / 10);
    close(coverage([], 0), 0);
  });
});

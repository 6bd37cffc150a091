import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS, PeriodError, growth, period, previous, rates } from './reports.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');

describe('report rules', () => {
  it('period: defaults, bounds, leap seconds', () => {
    assert.deepEqual(period({}, NOW, 7), { from: new Date(NOW - 7 * DAY_MS), to: new Date(NOW) });
    assert.deepEqual(period({ to: '2026-01-31T00:00:00Z' }, NOW, 30).from, new Date('2026-01-01T00:00:00Z'));
    assert.deepEqual(period({ from: '2016-12-31T23:59:60Z', to: '2017-01-01T00:00:00Z' }, NOW, 7).from, new Date('2016-12-31T23:59:59Z'));
    assert.throws(() => period({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, NOW, 7), PeriodError);
    assert.throws(() => period({ from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, NOW, 7), PeriodError);
    assert.throws(() => period({ from: '2024-01-01T00:00:00Z', to: '2025-01-02T00:00:01Z' }, NOW, 7), /366 days/);
    assert.doesNotThrow(() => period({ from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, NOW, 7));
    assert.throws(() => period({ from: 'soon' }, NOW, 7), /from: not a date-time/);
    assert.deepEqual(previous({ from: new Date(1000), to: new Date(3000) }), { from: new Date(-1000), to: new Date(1000) });
  });

  it('growth and the rates as DESIGN.md defines them', () => {
    assert.equal(growth(150, 100), 0.5);
    assert.equal(growth('50.00', '100.00'), -0.5);
    assert.equal(growth(5, 0), null);
    assert.deepEqual(rates({ searches: 10, noResults: 2, clickedSearches: 4, convertedSearches: 1 }), { clickThroughRate: 0.5, conversionRate: 0.125, noResultRate: 0.2 });
    assert.deepEqual(rates({ searches: 0, noResults: 0, clickedSearches: 0, convertedSearches: 0 }), { clickThroughRate: null, conversionRate: null, noResultRate: null });
  });
});

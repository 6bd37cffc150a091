import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromMinor, lineTotal, samePrice, toMinor } from './money.ts';

describe('money', () => {
  it('reads decimal strings into minor units and back', () => {
    assert.equal(toMinor('1999.90'), 199990n);
    assert.equal(toMinor('1999.9'), 199990n);
    assert.equal(toMinor('7'), 700n);
    assert.equal(toMinor('0.05'), 5n);
    assert.equal(fromMinor(199990n), '1999.90');
    assert.equal(fromMinor(5n), '0.05');
    assert.equal(fromMinor(0n), '0.00');
  });

  it('refuses what is not a plain two-decimal amount', () => {
    for (const bad of ['', '1e3', '-1.00', '1.999', ' 1.00', 'NaN', '1.']) assert.equal(toMinor(bad), undefined, bad);
    assert.throws(() => lineTotal([{ price: '1e3', quantity: 1 }]));
  });

  it('sums exactly where floating point would not (0.10 × 3)', () => {
    assert.notEqual(0.1 * 3, 0.3);
    assert.equal(lineTotal([{ price: '0.10', quantity: 3 }]), '0.30');
    assert.equal(lineTotal([{ price: '0.10', quantity: 3 }, { price: '0.20', quantity: 1 }]), '0.50');
    assert.equal(lineTotal([]), '0.00');
  });

  it('keeps the largest cart exact: 100 lines × 99 × 999999999999.99', () => {
    const lines = Array.from({ length: 100 }, () => ({ price: '999999999999.99', quantity: 99 }));
    assert.equal(lineTotal(lines), '9899999999999901.00');
  });

  it('compares amounts, not spellings', () => {
    assert.ok(samePrice('10.5', '10.50'));
    assert.ok(!samePrice('10.50', '10.51'));
    assert.ok(!samePrice('x', 'x'));
  });
});

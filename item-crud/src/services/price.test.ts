import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NUMBER_PRICE, MAX_PRICE, normalizePrice } from './price.ts';

describe('normalizePrice', () => {
  it('normalizes accepted forms to a two-decimal string', () => {
    const cases: [unknown, string][] = [
      ['1999.90', '1999.90'], ['1999.9', '1999.90'], ['1999', '1999.00'], ['0.01', '0.01'], ['0.5', '0.50'],
      [1999.9, '1999.90'], [15, '15.00'], [0.1, '0.10'], [1e3, '1000.00'], [MAX_PRICE, MAX_PRICE], [MAX_NUMBER_PRICE, '9999999.99'], [2736700.47, '2736700.47'],
      // floats that stand for a 2-decimal value (the schema's multipleOf 0.01 holds for them)
      [0.1 + 0.2, '0.30'], [57 * 0.01, '0.57'],
    ];
    for (const [input, expected] of cases) assert.deepEqual(normalizePrice(input), { ok: true, value: expected }, String(input));
  });

  it('refuses zero, negatives, exponents, more than 2 decimals, NaN and out-of-range values', () => {
    for (const input of [
      '0', '0.00', 0, -1, '-1.00', '1e3', '1E3', 'NaN', 'Infinity', NaN, Infinity, '1.999', 1.999, 0.291, 0.005,
      '1000000000000.00', 1e12, 1e21, 10_000_000, 2736700630.47, 999999999999.99, '', ' 1.00', '1.00 ', '01.00', '+1', '1,50', '.5', '5.', null, true, {}, [],
    ]) {
      assert.equal(normalizePrice(input).ok, false, JSON.stringify(input) ?? String(input));
    }
  });
});

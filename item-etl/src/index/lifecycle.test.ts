import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { missingProperties } from './lifecycle.ts';
import { itemMappings } from './mapping.ts';

describe('missingProperties', () => {
  const want = itemMappings.properties!;

  it('is empty for an index of the current mapping', () => {
    assert.deepEqual(missingProperties(want, want), { properties: {}, fields: [] });
  });

  it('names whole fields an older index lacks, and only those', () => {
    const { reviewSummary, models, ...older } = want;
    const res = missingProperties(want, older);
    assert.deepEqual(res.fields.sort(), ['models', 'reviewSummary']);
    assert.deepEqual(res.properties, { models, reviewSummary });
  });

  it('names sub-fields of an object field both have, as an update putMapping merges', () => {
    const { score: _score, praised: _praised, ...partial } = (want.reviewSummary as { properties: Record<string, unknown> }).properties;
    const res = missingProperties(want, { ...want, reviewSummary: { properties: partial } } as typeof want);
    assert.deepEqual(res.fields, ['reviewSummary.score', 'reviewSummary.praised']);
    assert.deepEqual(res.properties, { reviewSummary: { properties: { score: { type: 'float' }, praised: { type: 'keyword', ignore_above: 40 } } } });
  });

  it('never touches a field both have, whatever its mapping', () => {
    assert.deepEqual(missingProperties(want, { ...want, price: { type: 'scaled_float', scaling_factor: 100 } }).fields, []);
  });
});

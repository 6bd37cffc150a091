import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpProblem } from '@shop/kit';
import { parseIfMatch } from './items.ts';

describe('parseIfMatch', () => {
  it('reads bare, quoted and weak versions', () => {
    for (const [header, version] of [['3', 3], ['"3"', 3], ['W/"3"', 3], [' "12" ', 12], ['"999999999"', 999999999]] as const) {
      assert.equal(parseIfMatch(header, true), version, header);
    }
  });

  it('answers 428 when required and missing, null when optional and missing', () => {
    for (const header of [undefined, '', '  ']) {
      assert.throws(() => parseIfMatch(header, true), (err: unknown) => err instanceof HttpProblem && err.status === 428);
      assert.equal(parseIfMatch(header, false), null);
    }
  });

  it('answers 400 for anything else', () => {
    for (const header of ['*', 'abc', '"3', '3"', 'W/3', '"1", "2"', '0', '"-1"', '1.5', '"1234567890"']) {
      assert.throws(() => parseIfMatch(header, true), (err: unknown) => err instanceof HttpProblem && err.status === 400, header);
    }
  });
});

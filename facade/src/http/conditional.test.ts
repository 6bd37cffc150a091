import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ifNoneMatchMatches, ifRangeAllows, notModifiedSince, parseRange } from './conditional.ts';

describe('parseRange', () => {
  const size = 1000;
  it('reads a-b, a- and -n', () => {
    assert.deepEqual(parseRange('bytes=0-99', size), { kind: 'partial', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=900-', size), { kind: 'partial', start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-100', size), { kind: 'partial', start: 900, end: 999 });
    assert.deepEqual(parseRange(' Bytes = 10-19 ', size), { kind: 'partial', start: 10, end: 19 });
  });
  it('clamps the end and a suffix longer than the image', () => {
    assert.deepEqual(parseRange('bytes=990-5000', size), { kind: 'partial', start: 990, end: 999 });
    assert.deepEqual(parseRange('bytes=-5000', size), { kind: 'partial', start: 0, end: 999 });
  });
  it('is unsatisfiable past the end, for -0 and for an empty image', () => {
    assert.deepEqual(parseRange('bytes=1000-', size), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=1000-1001', size), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', size), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  });
  it('ignores several ranges, other units and bad syntax', () => {
    for (const header of [undefined, 'bytes=0-1,5-6', 'items=0-1', 'bytes=5-1', 'bytes=-', 'bytes=a-b', 'bytes=', '0-1', 'bytes=99999999999999999999-']) {
      assert.deepEqual(parseRange(header, size), { kind: 'none' }, String(header));
    }
  });
});

describe('conditional requests', () => {
  const etag = '"abc123"';
  it('If-None-Match: exact, weak, list, star', () => {
    assert.equal(ifNoneMatchMatches('"abc123"', etag), true);
    assert.equal(ifNoneMatchMatches('W/"abc123"', etag), true);
    assert.equal(ifNoneMatchMatches('"x", W/"abc123" , "y"', etag), true);
    assert.equal(ifNoneMatchMatches('"x","y"', etag), false);
    assert.equal(ifNoneMatchMatches('*', etag), true);
    assert.equal(ifNoneMatchMatches('"abc12"', etag), false);
    assert.equal(ifNoneMatchMatches(undefined, etag), false);
    assert.equal(ifNoneMatchMatches('"a,b", "abc123"', etag), true);
  });
  it('If-Modified-Since in whole seconds', () => {
    const modified = new Date('2026-01-02T03:04:05.678Z');
    assert.equal(notModifiedSince('Fri, 02 Jan 2026 03:04:05 GMT', modified), true);
    assert.equal(notModifiedSince('Fri, 02 Jan 2026 03:04:04 GMT', modified), false);
    assert.equal(notModifiedSince('garbage', modified), false);
  });
  it('If-Range: strong tags only, or the exact date', () => {
    const modified = new Date('2026-01-02T03:04:05Z');
    assert.equal(ifRangeAllows(undefined, etag, modified), true);
    assert.equal(ifRangeAllows('"abc123"', etag, modified), true);
    assert.equal(ifRangeAllows('W/"abc123"', etag, modified), false);
    assert.equal(ifRangeAllows('"other"', etag, modified), false);
    assert.equal(ifRangeAllows(modified.toUTCString(), etag, modified), true);
    assert.equal(ifRangeAllows(new Date(0).toUTCString(), etag, modified), false);
  });
});

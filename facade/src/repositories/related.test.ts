import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { thumbUrlOfKey } from './related.ts';

describe('thumbUrlOfKey', () => {
  it('turns the indexed original key into the thumbnail route', () => {
    const item = '0b7e4c1e-9f3a-4c55-8a55-1f0f1b2c3d4e';
    const image = '5d6e7f80-1a2b-4c3d-9e8f-0a1b2c3d4e5f';
    assert.equal(thumbUrlOfKey(`items/${item}/${image}/original`), `/api/images/${item}/${image}?size=thumb`);
  });
  it('gives null for no image or a key of another shape', () => {
    for (const key of [null, undefined, '', 'items/x/y/original', 'https://evil.example/a.png', `items/${'a'.repeat(36)}/thumb`]) {
      assert.equal(thumbUrlOfKey(key), null, String(key));
    }
  });
});

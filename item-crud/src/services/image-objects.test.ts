import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '@shop/kit';
import type { ImageStore } from '../repositories/image-store.ts';
import { ImageObjects, imageObjectMetrics } from './image-objects.ts';

function setup(failures: number) {
  const calls: string[][] = [];
  const store = {
    bucket: 'b',
    async remove(keys: string[]) {
      calls.push(keys);
      if (calls.length <= failures) throw new Error('minio is down');
    },
  } as unknown as ImageStore;
  const errors: object[] = [];
  const log = { info() {}, warn() {}, error: (obj: object) => errors.push(obj) };
  const metrics = imageObjectMetrics(new Metrics('test'));
  return { calls, errors, metrics, objects: new ImageObjects(store, log, metrics) };
}

const image = { key: 'items/i/a/original', thumbKey: 'items/i/a/thumb' };

describe('ImageObjects.remove', () => {
  it('removes the original and the thumbnail, retrying a failure', async () => {
    const { calls, errors, objects } = setup(2);
    assert.equal(await objects.remove([image]), true);
    assert.equal(calls.length, 3);
    assert.deepEqual(calls[0], [image.key, image.thumbKey]);
    assert.deepEqual(errors, []);
  });

  it('gives up after three attempts without throwing: logs the keys and counts them', async () => {
    const { calls, errors, metrics, objects } = setup(99);
    assert.equal(await objects.remove([image]), false);
    assert.equal(calls.length, 3);
    assert.deepEqual((errors[0] as { keys: string[] }).keys, [image.key, image.thumbKey]);
    assert.equal((await metrics.removalFailures.get()).values[0]?.value, 2);
  });

  it('does nothing for no images', async () => {
    const { calls, objects } = setup(0);
    assert.equal(await objects.remove([]), true);
    assert.equal(calls.length, 0);
  });
});

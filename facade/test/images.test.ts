// Image delivery against the real MinIO: objects are put under item-crud's key convention
// (items/<itemId>/<imageId>/original|thumb) with their Content-Type as object metadata.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { MINIO_BUCKET, deleteTestGroups, freePort, minio, startApp } from './helpers.ts';

let app: App;
const store = minio();
const itemId = randomUUID();
const imageId = randomUUID();
const original = randomBytes(10_000);
const thumb = randomBytes(1_234);
const base = `/api/images/${itemId}/${imageId}`;

before(async () => {
  await store.putObject(MINIO_BUCKET, `items/${itemId}/${imageId}/original`, original, original.length, { 'Content-Type': 'image/jpeg' });
  await store.putObject(MINIO_BUCKET, `items/${itemId}/${imageId}/thumb`, thumb, thumb.length, { 'Content-Type': 'image/webp' });
  app = await startApp({ INVALIDATION_ENABLED: 'false' });
});
after(async () => {
  await app?.close();
  await store.removeObjects(MINIO_BUCKET, [`items/${itemId}/${imageId}/original`, `items/${itemId}/${imageId}/thumb`]);
  await deleteTestGroups();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

function assertImageHeaders(res: Awaited<ReturnType<typeof get>>): void {
  assert.match(String(res.headers.etag), /^"[^"]+"$/, 'a strong ETag');
  assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(res.headers['accept-ranges'], 'bytes');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.ok(!Number.isNaN(Date.parse(String(res.headers['last-modified']))), 'Last-Modified is an HTTP date');
}

describe('GET /api/images/:itemId/:imageId', () => {
  it('streams the original with its stored type, ETag, Last-Modified, immutable caching', async () => {
    const res = await get(base);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(res.headers['content-length'], String(original.length));
    assert.ok(res.rawPayload.equals(original), 'the exact bytes');
    assertImageHeaders(res);
  });

  it('streams the thumbnail as image/webp', async () => {
    const res = await get(`${base}?size=thumb`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'image/webp');
    assert.ok(res.rawPayload.equals(thumb));
    assert.notEqual(res.headers.etag, (await get(base)).headers.etag, 'each size has its own ETag');
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await app.inject({ method: 'HEAD', url: base });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-length'], String(original.length));
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(res.rawPayload.length, 0);
    assertImageHeaders(res);
  });

  it('304 on a matching If-None-Match: exact, weak, in a list, or *', async () => {
    const { etag } = (await get(base)).headers as { etag: string };
    for (const value of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const res = await get(base, { 'if-none-match': value });
      assert.equal(res.statusCode, 304, value);
      assert.equal(res.rawPayload.length, 0);
      assert.equal(res.headers.etag, etag);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    }
    const other = await get(base, { 'if-none-match': '"something-else"' });
    assert.equal(other.statusCode, 200);
    assert.ok(other.rawPayload.equals(original));
  });

  it('304 on If-Modified-Since not before Last-Modified (and If-None-Match wins over it)', async () => {
    const lastModified = String((await get(base)).headers['last-modified']);
    assert.equal((await get(base, { 'if-modified-since': lastModified })).statusCode, 304);
    assert.equal((await get(base, { 'if-modified-since': new Date(0).toUTCString() })).statusCode, 200);
    assert.equal((await get(base, { 'if-modified-since': lastModified, 'if-none-match': '"other"' })).statusCode, 200);
  });

  it('206 for one range: a-b, a- and -n', async () => {
    const cases: [string, number, number][] = [['bytes=0-99', 0, 99], ['bytes=9990-', 9990, 9999], ['bytes=-10', 9990, 9999], ['bytes=100-20000', 100, 9999]];
    for (const [range, start, end] of cases) {
      const res = await get(base, { range });
      assert.equal(res.statusCode, 206, range);
      assert.equal(res.headers['content-range'], `bytes ${start}-${end}/${original.length}`);
      assert.equal(res.headers['content-length'], String(end - start + 1));
      assert.equal(res.headers['content-type'], 'image/jpeg');
      assert.ok(res.rawPayload.equals(original.subarray(start, end + 1)), range);
    }
  });

  it('416 with Content-Range bytes */size for a range past the end', async () => {
    for (const range of ['bytes=10000-', 'bytes=20000-20010', 'bytes=-0']) {
      const res = await get(base, { range });
      assert.equal(res.statusCode, 416, range);
      assert.equal(res.headers['content-range'], `bytes */${original.length}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
  });

  it('answers several ranges, a failed If-Range and HEAD ranges with the whole image', async () => {
    const multi = await get(base, { range: 'bytes=0-1,5-6' });
    assert.equal(multi.statusCode, 200);
    assert.ok(multi.rawPayload.equals(original));
    const stale = await get(base, { range: 'bytes=0-9', 'if-range': '"an-old-etag"' });
    assert.equal(stale.statusCode, 200);
    assert.equal(stale.rawPayload.length, original.length);
    const { etag } = (await get(base)).headers as { etag: string };
    const fresh = await get(base, { range: 'bytes=0-9', 'if-range': etag });
    assert.equal(fresh.statusCode, 206);
    const head = await app.inject({ method: 'HEAD', url: base, headers: { range: 'bytes=0-9' } });
    assert.equal(head.statusCode, 200);
  });

  it('404 problem+json for unknown ids, without MinIO text', async () => {
    for (const url of [`/api/images/${itemId}/${randomUUID()}`, `/api/images/${randomUUID()}/${imageId}?size=thumb`]) {
      for (const headers of [{}, { range: 'bytes=0-1' }, { 'if-none-match': '*' }] as Record<string, string>[]) {
        const res = await get(url, headers);
        assert.equal(res.statusCode, 404, `${url} ${JSON.stringify(headers)}`);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        assert.doesNotMatch(res.body, /NoSuchKey|NotFound|S3|minio|bucket/i);
      }
    }
    const head = await app.inject({ method: 'HEAD', url: `/api/images/${itemId}/${randomUUID()}` });
    assert.equal(head.statusCode, 404);
  });

  it('400 for ids that are not uuids, an unknown size or an unknown parameter', async () => {
    for (const url of [`/api/images/abc/${imageId}`, `/api/images/${itemId}/..%2F..%2Fsecret`, `${base}?size=large`, `${base}?size=thumb&w=100`, `${base}?x=1`]) {
      const res = await get(url);
      assert.equal(res.statusCode, 400, url);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
  });

  it('503 problem+json when MinIO is unreachable, without its error text', async () => {
    const broken = await startApp({ INVALIDATION_ENABLED: 'false', MINIO_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    try {
      for (const headers of [{}, { range: 'bytes=0-1' }] as Record<string, string>[]) {
        const res = await broken.inject({ method: 'GET', url: base, headers });
        assert.equal(res.statusCode, 503);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        assert.doesNotMatch(res.body, /ECONNREFUSED|127\.0\.0\.1/);
      }
    } finally {
      await broken.close();
    }
  });
});

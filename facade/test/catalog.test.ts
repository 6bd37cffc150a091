// End to end with the running item-crud: an uploaded image and a posted review reach the cached
// product page through item-crud's events, and the page's image URLs serve the original and the
// WebP thumbnail from MinIO.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { crud, createItem, deleteTestGroups, newSeller, png, redis, startApp, uploadImage, waitFor, type User } from './helpers.ts';

interface Page {
  item: { id: string; version: number };
  images: { id: string; url: string; thumbUrl: string; width?: number; height?: number }[];
  rating: { average: number; count: number };
  comments: { id: string; rating: number; text: string }[];
  missing?: string[];
}

let app: App;
let seller: User;
const shared = redis();

before(async () => {
  seller = await newSeller();
  app = await startApp({}, { waitForConsumer: true });
});
after(async () => {
  await app?.close();
  shared.disconnect();
  await deleteTestGroups();
});

/** Reads the page until `ok` holds (each read may be a hit or a miss). */
async function pageUntil(id: string, what: string, ok: (p: Page) => boolean, timeoutMs = 2_000): Promise<{ page: Page; ms: number }> {
  const started = performance.now();
  const page = await waitFor(what, async () => {
    const res = await app.inject(`/api/products/${id}`);
    assert.equal(res.statusCode, 200, res.body);
    const p = res.json<Page>();
    return ok(p) ? p : undefined;
  }, timeoutMs, 20);
  return { page, ms: Math.round(performance.now() - started) };
}

describe('upload → thumbnail → product page', () => {
  it('shows both URLs on the (already cached) page, and both serve the right bytes and types', async () => {
    const item = await createItem(seller);
    await waitFor('the item.created invalidation', async () => (await shared.exists(`product:gen:${item.id}`)) === 1, 5_000);
    await pageUntil(item.id, 'the page without images', (p) => p.images.length === 0);
    assert.equal((await app.inject(`/api/products/${item.id}`)).headers['x-cache'], 'hit');

    const picture = png(640, 480);
    const upload = await uploadImage(seller, item.id, picture);
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    const imageId = String(upload.body.id);

    const { page, ms } = await pageUntil(item.id, 'the image on the product page', (p) => p.images.length === 1);
    console.log(`# upload visible on the cached product page after ${ms} ms`);
    assert.deepEqual(page.images[0], {
      id: imageId, url: `/api/images/${item.id}/${imageId}`, thumbUrl: `/api/images/${item.id}/${imageId}?size=thumb`, width: 640, height: 480,
    });
    assert.equal(page.images[0]!.url, upload.body.url, "the same URL item-crud answered");
    assert.equal(page.images[0]!.thumbUrl, upload.body.thumbUrl);

    const original = await app.inject(page.images[0]!.url);
    assert.equal(original.statusCode, 200);
    assert.equal(original.headers['content-type'], 'image/png');
    assert.ok(original.rawPayload.subarray(0, 8).equals(picture.subarray(0, 8)), 'a PNG');
    assert.equal(original.headers['cache-control'], 'public, max-age=31536000, immutable');

    const thumb = await app.inject(page.images[0]!.thumbUrl);
    assert.equal(thumb.statusCode, 200);
    assert.equal(thumb.headers['content-type'], 'image/webp');
    assert.equal(thumb.rawPayload.toString('latin1', 0, 4), 'RIFF');
    assert.equal(thumb.rawPayload.toString('latin1', 8, 12), 'WEBP');
    assert.ok(thumb.rawPayload.length < original.rawPayload.length, 'the thumbnail is smaller');
    assert.equal((await app.inject({ url: page.images[0]!.thumbUrl, headers: { 'if-none-match': String(thumb.headers.etag) } })).statusCode, 304);

    // Deleting the image: gone from the page; its URL then answers 404 (once item-crud removed the objects).
    assert.equal((await crud('DELETE', `/api/items/${item.id}/images/${imageId}`, seller)).status, 204);
    await pageUntil(item.id, 'the image gone from the page', (p) => p.images.length === 0);
    await waitFor('the original to be gone', async () => (await app.inject(page.images[0]!.url)).statusCode === 404, 5_000);
    await shared.del(`product:${item.id}`);
  });
});

describe('a review → product page', () => {
  it('shows the comment and the new rating within 2 s', async () => {
    const item = await createItem(seller);
    await waitFor('the item.created invalidation', async () => (await shared.exists(`product:gen:${item.id}`)) === 1, 5_000);
    await pageUntil(item.id, 'the page without comments', (p) => p.comments.length === 0);
    const customer = await newSeller('reviewer', 'customer');
    const posted = await crud<{ id: string }>('POST', `/api/items/${item.id}/comments`, customer, { rating: 4, text: 'Boils fast, quiet.' });
    assert.ok(posted.status === 201 || posted.status === 200, JSON.stringify(posted.body));
    const { page, ms } = await pageUntil(item.id, 'the comment on the page', (p) => p.comments.length === 1);
    console.log(`# review visible on the cached product page after ${ms} ms`);
    assert.equal(page.comments[0]!.id, posted.body.id);
    assert.equal(page.comments[0]!.text, 'Boils fast, quiet.');
    assert.deepEqual(page.rating, { average: 4, count: 1 });
    assert.equal(page.missing, undefined);
    await shared.del(`product:${item.id}`);
  });
});

// Item images through the routes against the real PostgreSQL, MinIO and Kafka, with real sso tokens:
// type detection from the bytes, limits, thumbnails, object keys and metadata, ownership, the row +
// version + item.updated transaction, cleanup of objects on failure, deletes and the orphan sweep.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Client as MinioClient } from 'minio';
import sharp from 'sharp';
import type pg from 'pg';
import { ITEM_EVENTS_TOPIC, decodeItemEvent, type ItemEvent } from '@shop/contracts';
import type { App } from '@shop/kit';
import {
  DATABASE_URL, MINIO_BUCKET, createItem, eventually, minioClient, multipartBody, newAdmin, newUser, objectBytes, objectKeys,
  pool, startApp, tapTopic, testEnv, type FormPart, type ImageJson, type ItemJson, type Problem, type Tap, type User,
} from './helpers.ts';

let app: App;
let db: pg.Pool;
let minio: MinioClient;
let tap: Tap;
let seller: User;
let otherSeller: User;
let customer: User;
let admin: User;

before(async () => {
  app = await startApp();
  db = pool();
  minio = minioClient();
  tap = await tapTopic(ITEM_EVENTS_TOPIC);
  [seller, otherSeller, customer, admin] = await Promise.all([newUser('seller'), newUser('seller', 'other'), newUser('customer'), newAdmin()]);
});
after(async () => {
  await tap.close();
  await app.close();
  await db.end();
});

// ------------------------------------------------------------------ fixtures

const noise = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
const png = (w = 800, h = 600) => noise(w, h).png().toBuffer();
const jpeg = (w = 1200, h = 900) => noise(w, h).jpeg({ quality: 80 }).toBuffer();
const webp = (w = 400, h = 400) => noise(w, h).webp().toBuffer();

const filePart = (data: Buffer | string, filename = 'photo.png', contentType = 'image/png'): FormPart => ({ name: 'file', filename, contentType, data });

const upload = (user: User | null, itemId: string, parts: FormPart[], target: App = app) => {
  const { payload, headers } = multipartBody(parts);
  return target.inject({ method: 'POST', url: `/api/items/${itemId}/images`, headers: { ...headers, ...(user?.auth ?? {}) }, payload });
};

const deleteImage = (user: User, itemId: string, imageId: string) =>
  app.inject({ method: 'DELETE', url: `/api/items/${itemId}/images/${imageId}`, headers: user.auth });

const getItem = async (id: string): Promise<ItemJson> => {
  const res = await app.inject({ method: 'GET', url: `/api/items/${id}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<ItemJson>();
};

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number): Problem {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const problem = JSON.parse(res.body) as Problem;
  assert.equal(problem.status, status);
  return problem;
}

const imageRows = async (itemId: string) =>
  (await db.query<{ id: string; key: string; thumb_key: string; content_type: string; size: number; width: number; height: number; position: number }>(
    'SELECT id::text, key, thumb_key, content_type, size, width, height, position FROM item_images WHERE item_id = $1 ORDER BY position', [itemId],
  )).rows;

const itemVersion = async (itemId: string) => (await db.query<{ version: number }>('SELECT version FROM items WHERE id = $1', [itemId])).rows[0]!.version;

/** Nothing stored for the item: no row, no object, version unchanged. */
async function assertNothingStored(itemId: string, version: number): Promise<void> {
  assert.deepEqual(await imageRows(itemId), []);
  assert.deepEqual(await objectKeys(minio, `items/${itemId}/`), []);
  assert.equal(await itemVersion(itemId), version);
}

const contentTypeOf = async (key: string) => {
  const stat = await minio.statObject(MINIO_BUCKET, key);
  return stat.metaData['content-type'] as string;
};

/** The item events of `itemId` seen on the tap, decoded. */
const eventsOf = (itemId: string): ItemEvent[] =>
  tap.forKeys([itemId]).map((m) => {
    const decoded = decodeItemEvent(m.value);
    assert.ok(decoded.ok, 'every item event is valid');
    return decoded.value;
  });

// ------------------------------------------------------------------ uploads

describe('upload', () => {
  it('stores PNG, JPEG and WebP with their detected types, a WebP thumbnail ≤ 320 px, a row and an item.updated event', async () => {
    const item = await createItem(app, seller);
    const files = [
      { bytes: await png(800, 600), type: 'image/png', name: 'a.png', size: [800, 600] },
      { bytes: await jpeg(1200, 900), type: 'image/jpeg', name: 'b.jpg', size: [1200, 900] },
      { bytes: await webp(200, 150), type: 'image/webp', name: 'c.webp', size: [200, 150] },
    ];
    const uploaded: ImageJson[] = [];
    for (const [i, f] of files.entries()) {
      const res = await upload(seller, item.id, [filePart(f.bytes, f.name, f.type)]);
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.headers.etag, `"${item.version + i + 1}"`, 'the new item version is the ETag');
      const image = res.json<ImageJson>();
      assert.deepEqual(Object.keys(image).sort(), ['contentType', 'height', 'id', 'position', 'size', 'thumbUrl', 'url', 'width']);
      assert.equal(image.url, `/api/images/${item.id}/${image.id}`);
      assert.equal(image.thumbUrl, `/api/images/${item.id}/${image.id}?size=thumb`);
      assert.equal(res.headers.location, image.url);
      assert.equal(image.contentType, f.type);
      assert.deepEqual([image.width, image.height], f.size);
      assert.equal(image.size, f.bytes.length);
      assert.equal(image.position, i);
      uploaded.push(image);

      const original = `items/${item.id}/${image.id}/original`;
      const thumb = `items/${item.id}/${image.id}/thumb`;
      assert.deepEqual(await objectKeys(minio, `items/${item.id}/${image.id}/`), [original, thumb]);
      assert.equal(await contentTypeOf(original), f.type);
      assert.equal(await contentTypeOf(thumb), 'image/webp');
      assert.ok((await objectBytes(minio, original)).equals(f.bytes), 'the original is stored byte for byte');
      const meta = await sharp(await objectBytes(minio, thumb)).metadata();
      assert.equal(meta.format, 'webp');
      assert.ok(meta.width <= 320 && meta.height <= 320, `thumbnail ${meta.width}×${meta.height}`);
      if (f.size[0]! >= 320) assert.equal(Math.max(meta.width, meta.height), 320, 'big images are scaled to fit 320×320');
      else assert.deepEqual([meta.width, meta.height], f.size, 'small images are not enlarged');
    }

    const rows = await imageRows(item.id);
    assert.deepEqual(rows.map((r) => [r.id, r.content_type, r.position]), uploaded.map((u) => [u.id, u.contentType, u.position]));
    assert.deepEqual(rows.map((r) => r.key), uploaded.map((u) => `items/${item.id}/${u.id}/original`));
    assert.deepEqual(rows.map((r) => r.thumb_key), uploaded.map((u) => `items/${item.id}/${u.id}/thumb`));

    const read = await getItem(item.id);
    assert.equal(read.version, item.version + 3);
    assert.deepEqual(read.images, uploaded, 'the item lists its images in position order with the same views');

    // One item.updated per upload; the last snapshot carries all three images (keys, never URLs).
    const events = await eventually(() => {
      const e = eventsOf(item.id).filter((x) => x.version > item.version);
      return e.length >= 3 ? e : undefined;
    }, 10_000, 'three item.updated events');
    assert.deepEqual(events.map((e) => [e.type, e.version]), [1, 2, 3].map((d) => ['item.updated', item.version + d]));
    assert.deepEqual(events[2]!.data.images, uploaded.map((u) => ({ id: u.id, key: `items/${item.id}/${u.id}/original`, contentType: u.contentType, position: u.position })));
    assert.deepEqual(events[0]!.data.images.map((i) => i.id), [uploaded[0]!.id]);
  });

  it('honours EXIF orientation: width/height as displayed, the thumbnail rotated; the original untouched', async () => {
    const item = await createItem(app, seller);
    const bytes = await noise(600, 300).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const res = await upload(seller, item.id, [filePart(bytes, 'rotated.jpg', 'image/jpeg')]);
    assert.equal(res.statusCode, 201, res.body);
    const image = res.json<ImageJson>();
    assert.deepEqual([image.width, image.height], [300, 600]);
    const thumb = await sharp(await objectBytes(minio, `items/${item.id}/${image.id}/thumb`)).metadata();
    assert.deepEqual([thumb.width, thumb.height], [160, 320]);
    assert.ok((await objectBytes(minio, `items/${item.id}/${image.id}/original`)).equals(bytes));
  });

  it('detects the type from the bytes: a PNG named .jpg and declared image/jpeg is stored as image/png', async () => {
    const item = await createItem(app, seller);
    const res = await upload(seller, item.id, [filePart(await png(64, 64), 'holiday.jpg', 'image/jpeg')]);
    assert.equal(res.statusCode, 201, res.body);
    const image = res.json<ImageJson>();
    assert.equal(image.contentType, 'image/png');
    assert.equal(await contentTypeOf(`items/${item.id}/${image.id}/original`), 'image/png');
    assert.equal((await imageRows(item.id))[0]!.content_type, 'image/png');
  });

  it('refuses what is not a whole JPEG/PNG/WebP with 415 and stores nothing', async () => {
    const item = await createItem(app, seller);
    const realPng = await png(300, 300);
    const cases: [string, FormPart][] = [
      ['text named .png', filePart('just some text, not an image\n', 'photo.png', 'image/png')],
      ['GIF', filePart(Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'a.gif', 'image/gif')],
      ['SVG declared as PNG', filePart('<svg xmlns="http://www.w3.org/2000/svg"/>', 'a.png', 'image/png')],
      ['truncated PNG', filePart(realPng.subarray(0, Math.floor(realPng.length / 2)), 'cut.png', 'image/png')],
      ['truncated JPEG', filePart((await jpeg(300, 300)).subarray(0, 2_000), 'cut.jpg', 'image/jpeg')],
      ['PNG magic then garbage', filePart(Buffer.concat([realPng.subarray(0, 8), randomBytes(4_000)]), 'bad.png', 'image/png')],
      ['empty file', filePart(Buffer.alloc(0), 'empty.png', 'image/png')],
    ];
    for (const [label, part] of cases) {
      const res = await upload(seller, item.id, [part]);
      const problem = assertProblem(res, 415);
      assert.match(problem.type, /unsupported-image/, label);
    }
    await assertNothingStored(item.id, item.version);
  });

  it('refuses a file over IMAGE_MAX_BYTES (default 10 MiB) with 413 and stores nothing', async () => {
    const item = await createItem(app, seller);
    const big = Buffer.concat([(await png(16, 16)).subarray(0, 8), randomBytes(10 * 1024 * 1024 + 1 - 8)]);
    const res = await upload(seller, item.id, [filePart(big, 'big.png', 'image/png')]);
    const problem = assertProblem(res, 413);
    assert.match(problem.detail, /10485760 bytes/);
    await assertNothingStored(item.id, item.version);
  });

  it('takes IMAGE_MAX_BYTES from the environment: exactly the limit is fine, one byte more is a 413', async () => {
    const small = await startApp({ IMAGE_MAX_BYTES: '20000', RELAY_ENABLED: 'false' });
    try {
      const item = await createItem(small, seller);
      // A tiny PNG padded after its IEND chunk to an exact size (decoders stop at IEND).
      const tiny = await png(8, 8);
      const atLimit = await upload(seller, item.id, [filePart(Buffer.concat([tiny, Buffer.alloc(20_000 - tiny.length)]), 'ok.png')], small);
      assert.equal(atLimit.statusCode, 201, atLimit.body);
      const over = await upload(seller, item.id, [filePart(Buffer.concat([tiny, Buffer.alloc(20_001 - tiny.length)]), 'over.png')], small);
      assertProblem(over, 413);
      assertProblem(await upload(seller, item.id, [filePart(await png(200, 200), 'big.png')], small), 413);
      assert.equal((await imageRows(item.id)).length, 1);
      assert.equal((await objectKeys(minio, `items/${item.id}/`)).length, 2);
    } finally {
      await small.close();
    }
  });

  it('refuses a decompression bomb (over 40 megapixels, a small file) with 413 and stores nothing', async () => {
    const item = await createItem(app, seller);
    const bomb = await sharp({ create: { width: 8_000, height: 6_000, channels: 3, background: '#ffffff' } }).png({ compressionLevel: 9 }).toBuffer();
    assert.ok(bomb.length < 1_000_000, `the bomb is small (${bomb.length} bytes)`);
    const problem = assertProblem(await upload(seller, item.id, [filePart(bomb, 'white.png')]), 413);
    assert.match(problem.detail, /pixels/);
    await assertNothingStored(item.id, item.version);
  });

  it('needs multipart with exactly one file part', async () => {
    const item = await createItem(app, seller);
    const json = await app.inject({ method: 'POST', url: `/api/items/${item.id}/images`, headers: seller.auth, payload: { url: 'http://evil.example/x.png' } });
    assertProblem(json, 415);
    assertProblem(await upload(seller, item.id, [{ name: 'caption', data: 'no file here' }]), 400);
    const two = await upload(seller, item.id, [filePart(await png(32, 32), 'a.png'), filePart(await png(32, 32), 'b.png')]);
    assertProblem(two, 400);
    await assertNothingStored(item.id, item.version);
  });

  it('lets only the owner seller or an admin upload: 401 without a token, 403 for others, 404 for unknown or deleted items', async () => {
    const item = await createItem(app, seller);
    const bytes = await png(32, 32);
    assertProblem(await upload(null, item.id, [filePart(bytes)]), 401);
    assertProblem(await upload(otherSeller, item.id, [filePart(bytes)]), 403);
    assertProblem(await upload(customer, item.id, [filePart(bytes)]), 403);
    assertProblem(await upload(seller, randomUUID(), [filePart(bytes)]), 404);
    await assertNothingStored(item.id, item.version);

    const byAdmin = await upload(admin, item.id, [filePart(bytes)]);
    assert.equal(byAdmin.statusCode, 201, byAdmin.body);

    const gone = await createItem(app, seller);
    const del = await app.inject({ method: 'DELETE', url: `/api/items/${gone.id}`, headers: seller.auth });
    assert.equal(del.statusCode, 204);
    assertProblem(await upload(seller, gone.id, [filePart(bytes)]), 404);
    assert.deepEqual(await objectKeys(minio, `items/${gone.id}/`), []);
  });

  it('keeps at most 20 images per item (409), also under concurrent uploads, with distinct positions', async () => {
    const item = await createItem(app, seller);
    const bytes = await png(16, 16);
    const first = await Promise.all(Array.from({ length: 8 }, () => upload(seller, item.id, [filePart(bytes)])));
    assert.deepEqual(first.map((r) => r.statusCode), Array(8).fill(201));
    for (let i = 8; i < 20; i++) assert.equal((await upload(seller, item.id, [filePart(bytes)])).statusCode, 201);
    const rows = await imageRows(item.id);
    assert.deepEqual(rows.map((r) => r.position), Array.from({ length: 20 }, (_, i) => i), 'positions 0..19, no duplicates');
    const full = assertProblem(await upload(seller, item.id, [filePart(bytes)]), 409);
    assert.match(full.detail, /20 images/);
    assert.equal((await imageRows(item.id)).length, 20);
    assert.equal((await objectKeys(minio, `items/${item.id}/`)).length, 40);
    assert.equal(await itemVersion(item.id), item.version + 20);
  });

  it('removes the objects it stored when the transaction fails', async () => {
    const failing = await startApp({ RELAY_ENABLED: 'false' }, { imageHooks: { beforeCommit: () => { throw new Error('injected failure before commit'); } } });
    try {
      const item = await createItem(failing, seller);
      const res = await failing.inject({ method: 'POST', url: `/api/items/${item.id}/images`, ...withAuth(seller, multipartBody([filePart(await png(64, 64))])) });
      assert.equal(res.statusCode, 500, res.body);
      await assertNothingStored(item.id, item.version);
      const outbox = await db.query('SELECT 1 FROM outbox WHERE key = $1 AND payload->>\'type\' = \'item.updated\'', [item.id]);
      assert.equal(outbox.rowCount, 0, 'no event for a change that did not commit');
    } finally {
      await failing.close();
    }
  });
});

const withAuth = (user: User, body: { payload: Buffer; headers: Record<string, string> }) => ({ payload: body.payload, headers: { ...body.headers, ...user.auth } });

// ------------------------------------------------------------------ deletes

describe('delete', () => {
  it('removes one image: row, objects, version + 1, item.updated without it; the next image becomes the main one', async () => {
    const item = await createItem(app, seller);
    const a = (await upload(seller, item.id, [filePart(await png(40, 40), 'a.png')])).json<ImageJson>();
    const b = (await upload(seller, item.id, [filePart(await jpeg(40, 40), 'b.jpg', 'image/jpeg')])).json<ImageJson>();

    assertProblem(await deleteImage(otherSeller, item.id, a.id), 403);
    assertProblem(await deleteImage(customer, item.id, a.id), 403);
    assertProblem(await deleteImage(seller, item.id, randomUUID()), 404);
    assertProblem(await deleteImage(seller, randomUUID(), a.id), 404);
    const unauth = await app.inject({ method: 'DELETE', url: `/api/items/${item.id}/images/${a.id}` });
    assertProblem(unauth, 401);
    assert.equal((await imageRows(item.id)).length, 2);

    const res = await deleteImage(seller, item.id, a.id);
    assert.equal(res.statusCode, 204, res.body);
    assert.equal(res.headers.etag, `"${item.version + 3}"`);
    assert.deepEqual(await objectKeys(minio, `items/${item.id}/${a.id}/`), []);
    assert.equal((await objectKeys(minio, `items/${item.id}/${b.id}/`)).length, 2);
    const read = await getItem(item.id);
    assert.deepEqual(read.images.map((i) => i.id), [b.id]);
    assert.equal(read.version, item.version + 3);
    const last = await eventually(() => eventsOf(item.id).find((e) => e.version === item.version + 3), 10_000, 'the item.updated of the delete');
    assert.equal(last.type, 'item.updated');
    assert.deepEqual(last.data.images.map((i) => i.key), [`items/${item.id}/${b.id}/original`], 'b (position 1) is now the lowest, the main image');

    assertProblem(await deleteImage(seller, item.id, a.id), 404);
    assert.equal((await deleteImage(admin, item.id, b.id)).statusCode, 204, 'an admin may delete any image');
    assert.deepEqual(await objectKeys(minio, `items/${item.id}/`), []);
  });

  it('deleting an item removes its image rows and objects after the commit', async () => {
    const item = await createItem(app, seller);
    for (const name of ['a.png', 'b.png']) assert.equal((await upload(seller, item.id, [filePart(await png(24, 24), name)])).statusCode, 201);
    assert.equal((await objectKeys(minio, `items/${item.id}/`)).length, 4);
    const del = await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: seller.auth });
    assert.equal(del.statusCode, 204, del.body);
    assert.deepEqual(await objectKeys(minio, `items/${item.id}/`), []);
    assert.deepEqual(await imageRows(item.id), []);
    const deleted = await eventually(() => eventsOf(item.id).find((e) => e.type === 'item.deleted'), 10_000, 'item.deleted');
    assert.deepEqual(deleted.data.images, []);
  });
});

// ------------------------------------------------------------------ orphan sweep

describe('sweep-images', () => {
  const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  const sweep = (...args: string[]) => spawnSync(process.execPath, [cli, 'sweep-images', ...args], {
    env: { ...process.env, ...testEnv(), DATABASE_URL, LOG_LEVEL: 'silent' }, encoding: 'utf8',
  });

  it('removes objects without a row (older than the grace period), keeps objects with one, reports unknown keys', async () => {
    const item = await createItem(app, seller);
    const kept = (await upload(seller, item.id, [filePart(await png(24, 24))])).json<ImageJson>();
    const orphanId = randomUUID();
    const orphanKeys = [`items/${item.id}/${orphanId}/original`, `items/${item.id}/${orphanId}/thumb`];
    for (const key of orphanKeys) await minio.putObject(MINIO_BUCKET, key, Buffer.from('orphan'), 6, { 'Content-Type': 'image/png' });
    const odd = `items/${item.id}/not-an-image-key.txt`;
    await minio.putObject(MINIO_BUCKET, odd, Buffer.from('x'), 1);
    try {
      const young = sweep('--item', item.id);
      assert.equal(young.status, 0, young.stderr);
      const youngReport = JSON.parse(young.stdout) as { orphans: string[]; tooRecent: number; removed: number };
      assert.deepEqual([youngReport.orphans, youngReport.tooRecent, youngReport.removed], [[], 2, 0], 'fresh objects are inside the grace period');

      const dry = sweep('--item', item.id, '--older-than-minutes', '0', '--dry-run');
      assert.equal(dry.status, 0, dry.stderr);
      assert.deepEqual((JSON.parse(dry.stdout) as { orphans: string[] }).orphans, orphanKeys);
      assert.equal((await objectKeys(minio, `items/${item.id}/${orphanId}/`)).length, 2, 'a dry run removes nothing');

      const real = sweep('--item', item.id, '--older-than-minutes', '0');
      assert.equal(real.status, 0, real.stderr);
      const report = JSON.parse(real.stdout) as { ok: boolean; scanned: number; orphans: string[]; removed: number; unknown: string[] };
      assert.equal(report.ok, true);
      assert.equal(report.scanned, 5);
      assert.deepEqual(report.orphans, orphanKeys);
      assert.equal(report.removed, 2);
      assert.deepEqual(report.unknown, [odd]);
      assert.deepEqual(await objectKeys(minio, `items/${item.id}/`), [`items/${item.id}/${kept.id}/original`, `items/${item.id}/${kept.id}/thumb`, odd].sort());
    } finally {
      await minio.removeObject(MINIO_BUCKET, odd);
    }
    const usage = sweep('--older-than-minutes', 'soon');
    assert.equal(usage.status, 64);
  });
});

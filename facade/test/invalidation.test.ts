// Event-driven invalidation: end to end with the running item-crud (PATCH → outbox → Kafka → the
// facade's consumer → Redis), and on private topics with our own redis-server for what must
// survive a Redis outage.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { encodeCommentEvent, encodeItemEvent, type ItemSnapshot } from '@shop/contracts';
import type { App } from '@shop/kit';
import { Partitioners } from 'kafkajs';
import { itemIdOf } from '../src/services/invalidation.ts';
import { OwnRedis, createItem, crud, deleteTestGroups, kafka, metric, newSeller, patchItem, redis, startApp, waitFor } from './helpers.ts';

after(deleteTestGroups);

describe('PATCH through item-crud → the product page', () => {
  let app: App;
  const shared = redis();
  before(async () => {
    app = await startApp({}, { waitForConsumer: true });
  });
  after(async () => {
    await app?.close();
    shared.disconnect();
  });

  it('shows the change within 2 s (the cached page is invalidated by the item event)', async () => {
    const seller = await newSeller();
    const item = await createItem(seller);
    const get = () => app.inject(`/api/products/${item.id}`);
    // The item.created event invalidates too: let it pass first (it bumps the generation).
    await waitFor('the item.created invalidation', async () => (await shared.exists(`product:gen:${item.id}`)) === 1, 5_000);
    assert.equal((await get()).headers['x-cache'], 'miss');
    assert.equal((await get()).headers['x-cache'], 'hit');
    const invalidationsBefore = await metric(app, 'facade_cache_invalidations_total', { topic: 'item-events' });

    const name = `Renamed ${randomUUID().slice(0, 8)}`;
    const started = performance.now();
    const patched = await patchItem(seller, item, { name, price: '1999.00' });
    const res = await waitFor('the new name on the product page', async () => {
      const r = await get();
      return r.json<{ item: { name: string } }>().item.name === name ? r : undefined;
    }, 2_000, 20);
    const elapsed = performance.now() - started;
    const body = res.json<{ item: { name: string; price: string; version: number } }>();
    assert.equal(body.item.price, '1999.00');
    assert.equal(body.item.version, patched.version);
    assert.ok(elapsed < 2_000, `visible after ${Math.round(elapsed)} ms`);
    assert.ok((await metric(app, 'facade_cache_invalidations_total', { topic: 'item-events' })) > invalidationsBefore);
    console.log(`# PATCH visible on the product page after ${Math.round(elapsed)} ms`);

    // A delete: the cached page gives way to a 404 just as fast.
    assert.equal((await get()).headers['x-cache'], 'hit');
    const deleted = await crud('DELETE', `/api/items/${item.id}`, seller);
    assert.equal(deleted.status, 204);
    const deleteStarted = performance.now();
    await waitFor('a 404 for the deleted item', async () => (await get()).statusCode === 404, 2_000, 20);
    console.log(`# DELETE visible on the product page after ${Math.round(performance.now() - deleteStarted)} ms`);
    assert.equal(await shared.exists(`product:${item.id}`), 0);
  });
});

describe('invalidation on private topics', () => {
  const suffix = randomUUID().slice(0, 8);
  const itemTopic = `test-facade-items-${suffix}`;
  const commentTopic = `test-facade-comments-${suffix}`;
  const client = kafka();
  const admin = client.admin();
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  let own: OwnRedis;
  let app: App;
  let cache: ReturnType<typeof redis>;

  before(async () => {
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: itemTopic, numPartitions: 3 }, { topic: commentTopic, numPartitions: 3 }] });
    await producer.connect();
    own = await OwnRedis.start(true);
    cache = redis(own.url);
    cache.on('error', () => undefined);
    app = await startApp({ REDIS_URL: own.url, ITEM_EVENTS_TOPIC: itemTopic, COMMENT_EVENTS_TOPIC: commentTopic }, { waitForConsumer: true });
  });
  after(async () => {
    await app?.close();
    cache?.disconnect();
    await own?.close();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [itemTopic, commentTopic] }).catch(() => undefined);
    await admin.disconnect();
  });

  const snapshot = (id: string, version: number): ItemSnapshot => ({
    id, sellerId: randomUUID(), name: 'Kettle', description: '', brand: 'Bosch', category: 'kettles', price: '10.00', currency: 'RUB',
    stock: 1, attributes: {}, images: [], status: 'active', version, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
  });
  const itemEvent = (id: string, version = 2) => encodeItemEvent({ id: randomUUID(), type: 'item.updated', version, occurredAt: new Date().toISOString(), source: 'test', data: snapshot(id, version) });
  const commentEvent = (itemId: string) => encodeCommentEvent({
    id: randomUUID(), type: 'comment.created', occurredAt: new Date().toISOString(), source: 'test',
    data: { id: randomUUID(), itemId, authorId: randomUUID(), rating: 4, itemVersion: 3, ratingSummary: { average: 4, count: 1 } },
  });
  const committed = async (topic: string) => {
    const [offsets] = await admin.fetchOffsets({ groupId: app.facade.invalidation!.groupId, topics: [topic] });
    return offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  };

  it('item and comment events delete the cached page and bump its generation', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await cache.set(`product:${a}`, '{"cached":true}');
    await cache.set(`product:${b}`, '{"cached":true}');
    await producer.send({ topic: itemTopic, messages: [{ key: a, value: itemEvent(a) }] });
    await producer.send({ topic: commentTopic, messages: [{ key: b, value: commentEvent(b) }] });
    await waitFor('both pages invalidated', async () => (await cache.exists(`product:${a}`, `product:${b}`)) === 0, 5_000);
    assert.equal(await cache.get(`product:gen:${a}`), '1');
    assert.equal(await cache.get(`product:gen:${b}`), '1');
    await waitFor('offsets committed', async () => (await committed(itemTopic)) >= 1 && (await committed(commentTopic)) >= 1, 5_000);
  });

  it('an event without any item id is skipped and committed; a bad envelope still invalidates by its key', async () => {
    const keyed = randomUUID();
    await cache.set(`product:${keyed}`, '{}');
    const before = await committed(itemTopic);
    await producer.send({ topic: itemTopic, messages: [{ key: null, value: 'not json' }, { key: keyed, value: '{"type":"item.updated"}' }] });
    await waitFor('the keyed page invalidated', async () => (await cache.exists(`product:${keyed}`)) === 0, 5_000);
    await waitFor('both offsets committed', async () => (await committed(itemTopic)) >= before + 2, 5_000);
    assert.ok((await metric(app, 'facade_invalidation_skipped_total')) >= 1);
  });

  it('Redis down when the event arrives: retried until Redis is back, committed only then', async () => {
    const id = randomUUID();
    await cache.set(`product:${id}`, '{"stale":true}'); // appendfsync always: survives the kill
    const before = await committed(itemTopic);
    const retriesBefore = await metric(app, 'facade_invalidation_retries_total');
    await own.kill();
    await producer.send({ topic: itemTopic, messages: [{ key: id, value: itemEvent(id, 5) }] });
    await waitFor('invalidation retries', async () => (await metric(app, 'facade_invalidation_retries_total')) >= retriesBefore + 3, 10_000);
    assert.equal(await committed(itemTopic), before, 'nothing committed while the invalidation cannot be done');
    await own.start();
    assert.equal(await cache.get(`product:${id}`), '{"stale":true}', 'the stale page survived the restart');
    await waitFor('the page invalidated after Redis came back', async () => (await cache.exists(`product:${id}`)) === 0, 15_000);
    await waitFor('the offset committed', async () => (await committed(itemTopic)) === before + 1, 5_000);
  });
});

describe('itemIdOf', () => {
  const id = randomUUID();
  it('reads data.id of item events, data.itemId of comment events, else the key', () => {
    const itemEvent = encodeItemEvent({
      id: randomUUID(), type: 'item.updated', version: 2, occurredAt: new Date().toISOString(), source: 't',
      data: { id, sellerId: randomUUID(), name: 'x', description: '', brand: 'b', category: 'c', price: '1.00', currency: 'RUB', stock: 0, attributes: {}, images: [], status: 'active', version: 2, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() },
    });
    assert.equal(itemIdOf('item-events', 'item-events', { key: Buffer.from(randomUUID()), value: itemEvent }), id);
    assert.equal(itemIdOf('comment-events', 'item-events', { key: null, value: Buffer.from(JSON.stringify({ data: { itemId: id } })) }), undefined, 'invalid comment event without a key');
    assert.equal(itemIdOf('comment-events', 'item-events', { key: Buffer.from(id.toUpperCase()), value: Buffer.from('{}') }), id);
    assert.equal(itemIdOf('item-events', 'item-events', { key: Buffer.from('not-a-uuid'), value: Buffer.from('x') }), undefined);
  });
});

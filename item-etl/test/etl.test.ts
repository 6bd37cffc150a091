// The consumer end to end, in-process (buildService), against the real Kafka, Elasticsearch and
// PostgreSQL: each test file has its own topics, alias and consumer group.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { buildService } from '../src/app.ts';
import { committedOffsets, createFixture, highWatermarks, readDlq, sleep, waitFor, type Fixture } from './helpers.ts';

let f: Fixture;
let app: App;

async function startApp(extra: Record<string, string> = {}): Promise<App> {
  const { app: a } = await buildService(f.env(extra));
  await a.ready();
  return a;
}

before(async () => {
  f = await createFixture('etl');
  app = await startApp();
});
after(async () => {
  await app?.close();
  await f?.close();
});

describe('item-etl consumer', () => {
  it('creates the index behind the alias at start, and reports the consumer in readiness', async () => {
    const live = await f.lifecycle.liveIndex();
    assert.match(live ?? '', new RegExp(`^${f.alias}-v\\d+$`));
    assert.deepEqual(await f.lifecycle.targets({ fresh: true }), [live]);
    const ready = await waitFor('readiness', async () => {
      const res = await app.inject('/health/ready');
      return res.statusCode === 200 ? res.json<{ checks: Record<string, { status: string }> }>() : undefined;
    });
    assert.deepEqual(Object.keys(ready.checks).sort(), ['consumer', 'elasticsearch', 'kafka', 'postgres']);
  });

  it('indexes created and updated items with normalized, enriched documents, and removes deleted ones', async () => {
    const s1 = f.snapshot({ name: '  Кроссовки   Зелёные  ', brand: 'NIKE ', images: [{ id: crypto.randomUUID(), key: 'items/b.webp', contentType: 'image/webp', position: 1 }, { id: crypto.randomUUID(), key: 'items/a.jpg', contentType: 'image/jpeg', position: 0 }] });
    await f.insertItem(s1, { ratingSum: 14, ratingCount: 3 });
    await f.produceEvents([f.event('item.created', s1)]);
    const created = await waitFor('the created document', () => f.doc(s1.id));
    assert.equal(created.version, 1);
    assert.equal(created.name, 'Кроссовки Зеленые');
    assert.equal(created.brand, 'Nike');
    assert.equal(created.sellerName, f.sellerName.replace(/\s+/g, ' '));
    assert.deepEqual(created.rating, { average: 4.7, count: 3 });
    assert.deepEqual(created.categoryPath, [f.category, f.rootCategory]);
    assert.deepEqual(created.categoryNames, ['Беговые кроссовки', 'Running shoes', 'Одежда и обувь', 'Clothing']);
    assert.equal(created.image, 'items/a.jpg');
    assert.equal(created.price, 4999.9);
    assert.equal(created.inStock, true);
    assert.equal(created.status, 'active');
    assert.deepEqual(created.attributes, { 'цвет': 'черный', size: 42 });

    const s2 = { ...s1, version: 2, name: 'Кроссовки синие', stock: 0, price: '3999.00', updatedAt: new Date().toISOString() };
    await f.produceEvents([f.event('item.updated', s2)]);
    const updated = await waitFor('the update', async () => ((await f.doc(s1.id))?.version === 2 ? f.doc(s1.id) : undefined));
    assert.equal(updated.name, 'Кроссовки синие');
    assert.equal(updated.inStock, false);
    assert.equal(updated.price, 3999);

    await f.produceEvents([f.event('item.deleted', { ...s2, version: 3, status: 'deleted' })]);
    await waitFor('the delete', async () => (await f.doc(s1.id)) === undefined);
  });

  it('tolerates a missing seller and item row (sellerName null, rating {0, 0})', async () => {
    const s = f.snapshot({ sellerId: crypto.randomUUID(), category: 'no-such-category' });
    await f.produceEvents([f.event('item.created', s)]);
    const doc = await waitFor('the document', () => f.doc(s.id));
    assert.equal(doc.sellerName, null);
    assert.deepEqual(doc.rating, { average: 0, count: 0 });
    assert.deepEqual(doc.categoryPath, ['no-such-category']);
    assert.deepEqual(doc.categoryNames, []);
  });

  it('is idempotent and order-safe: v3, v1, v2, v3 again ends at v3; delete v4 then update v3 stays deleted', async () => {
    const s = f.snapshot();
    const v = (n: number) => ({ ...s, version: n, name: `Версия ${n}` });
    await f.produceEvents([f.event('item.updated', v(3)), f.event('item.created', v(1)), f.event('item.updated', v(2)), f.event('item.updated', v(3))]);
    await waitFor('v3', async () => (await f.doc(s.id))?.version === 3);
    await sleep(1_500); // give any later (older) event time to land, then check nothing moved back
    const doc = await f.doc(s.id);
    assert.equal(doc?.version, 3);
    assert.equal(doc?.name, 'Версия 3');

    // Separate sends (separate batches), so the tombstone, not the in-batch dedupe, does the work.
    await f.produceEvents([f.event('item.deleted', { ...v(4), status: 'deleted' })]);
    await waitFor('the delete', async () => (await f.doc(s.id)) === undefined);
    await f.produceEvents([f.event('item.updated', v(3))]);
    const marker = f.snapshot();
    await f.produceEvents([f.event('item.created', marker)]);
    await waitFor('a later event', () => f.doc(marker.id));
    assert.equal(await f.doc(s.id), undefined, 'an update older than the delete must not resurrect the item');
  });

  it('sends poison messages to the dead-letter topic with the original bytes and a reason, and keeps going', async () => {
    const s = f.snapshot();
    const key = s.id;
    const notJson = Buffer.from('{not json at all');
    const badSchema = Buffer.from(JSON.stringify({ hello: 'world' }));
    const negativePrice = Buffer.from(JSON.stringify(f.event('item.created', { ...s, price: '-5.00' })));
    const headers = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'content-type': 'application/json' };
    const positions = await f.produce([
      { key, value: notJson, headers },
      { key, value: badSchema, headers },
      { key, value: negativePrice, headers },
    ]);
    await f.produceEvents([f.event('item.created', s)]);
    await waitFor('the valid event after the poison', () => f.doc(s.id));

    const dead = await readDlq(f, 3);
    const byValue = (b: Buffer) => dead.find((d) => d.value?.equals(b));
    for (const [bytes, reason, position] of [[notJson, /^invalid-json: /, positions[0]!], [badSchema, /^schema: /, positions[1]!], [negativePrice, /^schema: .*\/data\/price/, positions[2]!]] as const) {
      const d = byValue(bytes);
      assert.ok(d, `dead letter for ${bytes.toString()}`);
      assert.equal(d.key?.toString(), key);
      assert.match(d.headers['x-dlq-reason'] ?? '', reason);
      assert.equal(d.headers['x-original-topic'], f.topic);
      assert.equal(d.headers['x-original-partition'], String(position.partition));
      assert.equal(d.headers['x-original-offset'], String(position.offset));
      assert.equal(d.headers.traceparent, headers.traceparent);
      assert.equal(d.headers['content-type'], 'application/json');
    }
    const metrics = (await app.inject('/metrics')).body;
    assert.match(metrics, /etl_dlq_total\{reason="invalid-json"[^}]*\} 1/);
    assert.match(metrics, /etl_dlq_total\{reason="schema"[^}]*\} 2/);
    assert.match(metrics, /etl_events_consumed_total\{type="invalid",outcome="dlq"[^}]*\} 3/);
  });

  it('commits offsets only after indexing: closed mid-stream and restarted, nothing is missing', async () => {
    await app.close();
    app = await startApp({ BULK_MAX_DOCS: '5' });
    const items = Array.from({ length: 60 }, () => f.snapshot());
    const positions: { id: string; version: number; partition: number; offset: number }[] = [];
    for (let version = 1; version <= 4; version++) {
      const events = items.map((s) => f.event(version === 1 ? 'item.created' : 'item.updated', { ...s, version, name: `Товар ${version}` }));
      const sent = await f.produceEvents(events);
      sent.forEach((p, i) => positions.push({ id: items[i]!.id, version, ...p }));
    }
    await waitFor('some documents', async () => (await f.count({ terms: { id: items.map((s) => s.id) } })) > 0, 30_000, 20);
    await app.close(); // mid-stream: the batch in flight finishes, nothing after it is committed

    const committed = await committedOffsets(f);
    await f.es.indices.refresh({ index: f.alias });
    const docs = await f.es.mget<{ version: number }>({ index: f.alias, ids: items.map((s) => s.id) });
    const indexedVersion = new Map(docs.docs.map((d) => [d._id, 'found' in d && d.found ? d._source!.version : 0]));
    for (const p of positions) {
      const c = committed.get(p.partition) ?? -1;
      if (p.offset < c) {
        assert.ok((indexedVersion.get(p.id) ?? 0) >= p.version, `offset ${p.offset} on partition ${p.partition} is committed (${c}) but v${p.version} of ${p.id} is not indexed`);
      }
    }
    const high = await highWatermarks(f);
    const pending = [...high].reduce((n, [partition, h]) => n + h - Math.max(0, committed.get(partition) ?? 0), 0);
    console.log(`closed with ${pending} message(s) uncommitted`);

    app = await startApp();
    await waitFor('every item at v4', async () => (await f.count({ bool: { filter: [{ terms: { id: items.map((s) => s.id) } }, { term: { version: 4 } }] } })) === items.length, 60_000);
    await waitFor('offsets committed to the end', async () => {
      const [c, h] = await Promise.all([committedOffsets(f), highWatermarks(f)]);
      return [...h].every(([p, hw]) => c.get(p) === hw);
    });
  });

  it('publishes its metrics, including the consumer lag', async () => {
    const body = await waitFor('lag metric', async () => {
      const text = (await app.inject('/metrics')).body;
      return /etl_consumer_lag\{/.test(text) ? text : undefined;
    }, 15_000);
    for (const name of ['etl_events_consumed_total', 'etl_batch_size_bucket', 'etl_dlq_total', 'etl_commit_to_indexed_seconds_bucket', 'etl_bulk_retries_total']) {
      assert.match(body, new RegExp(name));
    }
    assert.match(body, /etl_events_consumed_total\{type="item.updated",outcome="indexed"/);
  });
});

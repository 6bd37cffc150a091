// The transactional outbox and its relay, against the real PostgreSQL and Kafka: the outbox row
// commits or rolls back with the item change; the relay publishes within a second of the commit;
// a crash between the Kafka send and the mark re-sends (duplicates, never gaps).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ITEM_EVENTS_TOPIC, decodeItemEvent, type ItemEvent } from '@shop/contracts';
import { Metrics, type App } from '@shop/kit';
import { OutboxStore, RELAY_LOCK_KEY } from '../src/repositories/outbox.ts';
import { OutboxRelay, relayMetrics, type RelayProducer } from '../src/services/relay.ts';
import {
  DATABASE_URL, createItem, eventually, itemBody, kafka, newUser, outboxRows, patchItem, pool, startApp, tapTopic,
  type ItemJson, type Tap, type User,
} from './helpers.ts';

let db: pg.Pool;
let seller: User;
before(async () => {
  db = pool();
  seller = await newUser('seller', 'outbox');
});
after(async () => {
  await db.end();
});

const quiet = { info() {}, warn() {}, debug() {} };

describe('outbox rows are written in the item transaction', () => {
  let app: App;
  let failNext: string | undefined;
  before(async () => {
    app = await startApp({}, {
      itemHooks: {
        beforeCommit(event) {
          if (failNext && event.type === failNext) {
            failNext = undefined;
            throw new Error('injected failure after the item and outbox writes');
          }
        },
      },
    });
  });
  after(async () => {
    await app.close();
  });

  it('a failing create leaves neither the item nor an outbox row', async () => {
    const name = `Rolled back ${randomUUID()}`;
    failNext = 'item.created';
    const res = await app.inject({ method: 'POST', url: '/api/items', headers: seller.auth, payload: itemBody({ name }) });
    assert.equal(res.statusCode, 500, res.body);
    const items = await db.query('SELECT id FROM items WHERE name = $1', [name]);
    assert.equal(items.rowCount, 0);
    const events = await db.query("SELECT id FROM outbox WHERE payload->'data'->>'name' = $1", [name]);
    assert.equal(events.rowCount, 0);
  });

  it('a failing update leaves the item at its version and no outbox row for the new one', async () => {
    const item = await createItem(app, seller);
    failNext = 'item.updated';
    const res = await patchItem(app, seller, item.id, '"1"', { stock: 99 });
    assert.equal(res.statusCode, 500, res.body);
    const row = await db.query<{ version: number; stock: number }>('SELECT version, stock FROM items WHERE id = $1', [item.id]);
    assert.deepEqual(row.rows[0], { version: 1, stock: item.stock });
    assert.deepEqual((await outboxRows(db, [item.id])).map((r) => r.payload.version), [1]);
    // The same change goes through once the failure is gone.
    assert.equal((await patchItem(app, seller, item.id, '"1"', { stock: 99 })).statusCode, 200);
    assert.deepEqual((await outboxRows(db, [item.id])).map((r) => r.payload.version), [1, 2]);
  });
});

describe('the relay', () => {
  let app: App;
  let tap: Tap;
  before(async () => {
    tap = await tapTopic(ITEM_EVENTS_TOPIC);
    app = await startApp();
  });
  after(async () => {
    await app.close();
    await tap.close();
  });

  it('publishes each change within a second of its commit, keyed by item id, with trace headers', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/items', headers: seller.auth, payload: itemBody() });
    const committedAt = Date.now();
    assert.equal(created.statusCode, 201, created.body);
    const item = created.json<ItemJson>();
    const first = await eventually(() => tap.forKeys([item.id])[0], 5_000, 'the item.created message');
    assert.ok(first.timestamp - committedAt < 1_000, `sent ${first.timestamp - committedAt} ms after the commit`);
    const published = await eventually(async () => (await outboxRows(db, [item.id]))[0]?.published_at ?? undefined, 5_000, 'the mark');
    assert.ok(published.getTime() - committedAt < 1_000);

    const decoded = decodeItemEvent(first.value);
    assert.ok(decoded.ok, JSON.stringify(decoded));
    const event = decoded.value as ItemEvent;
    assert.equal(event.type, 'item.created');
    assert.equal(event.version, 1);
    assert.equal(event.source, 'item-crud');
    // The API's view adds the rating, the review summary and the reserved/available units and shows images as
    // URLs; the event carries object keys (none yet).
    const { rating, reviewSummary, reserved, available, ...snapshot } = item;
    assert.deepEqual(rating, { average: 0, count: 0 });
    assert.equal(reviewSummary, null);
    assert.deepEqual([reserved, available], [0, item.stock]);
    assert.deepEqual(event.data, snapshot, 'data is the full snapshot the API answered');
    assert.equal(first.key, item.id);
    assert.match(first.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.equal(first.headers['content-type'], 'application/json');

    // Later versions follow in order on the same partition; the delete carries the final snapshot.
    assert.equal((await patchItem(app, seller, item.id, '"1"', { stock: 1 })).statusCode, 200);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: seller.auth })).statusCode, 204);
    const all = await eventually(() => (tap.forKeys([item.id]).length >= 3 ? tap.forKeys([item.id]) : undefined), 5_000, 'three messages');
    const events = all.map((m) => decodeItemEvent(m.value)).map((d) => (d.ok ? d.value : assert.fail(JSON.stringify(d))));
    assert.deepEqual(events.map((e) => [e.type, e.version]), [['item.created', 1], ['item.updated', 2], ['item.deleted', 3]]);
    assert.equal(events[2]!.data.status, 'deleted');
    assert.equal(new Set(all.map((m) => m.partition)).size, 1);

    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^outbox_published_total\{[^}]*\} \d+/m);
    assert.match(metrics, /^outbox_publish_delay_seconds_bucket/m);
    assert.match(metrics, /^outbox_pending\{[^}]*\} \d+/m);
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(ready.json<{ checks: Record<string, { status: string }> }>().checks.outbox?.status, 'up', ready.body);
  });

  it('can be stopped and started again', async () => {
    await app.outboxRelay.stop();
    assert.equal(app.outboxRelay.running, false);
    app.outboxRelay.start();
    assert.equal(app.outboxRelay.running, true);
    const item = await createItem(app, seller);
    await eventually(() => tap.forKeys([item.id])[0], 5_000, 'a message after the restart');
  });
});

describe('crash safety', () => {
  let app: App;
  let tap: Tap;
  /** One connection holding the relay lock for the whole block: no other relay (the running service) takes our rows. */
  let locked: pg.Pool;
  before(async () => {
    locked = new pg.Pool({ connectionString: DATABASE_URL, max: 1, idleTimeoutMillis: 0 });
    await locked.query(`SELECT pg_advisory_lock(${RELAY_LOCK_KEY})`);
    tap = await tapTopic(ITEM_EVENTS_TOPIC);
    app = await startApp({ RELAY_ENABLED: 'false' });
  });
  after(async () => {
    await app.close();
    await tap.close();
    await locked.end(); // releases the lock (the session ends)
  });

  /** A relay on the locked connection (re-entrant for its session). */
  function relayOn(producer: RelayProducer, afterSend?: () => void) {
    return new OutboxRelay({
      store: new OutboxStore(locked), producer, log: quiet, metrics: relayMetrics(new Metrics('test')),
      batchSize: 500, pollMs: 1_000, hooks: { afterSend },
    });
  }

  it('a crash after the send and before the mark leaves the rows unpublished; the next round sends them again', async () => {
    const items: ItemJson[] = [];
    for (let i = 0; i < 3; i++) items.push(await createItem(app, seller));
    assert.equal((await patchItem(app, seller, items[0]!.id, '"1"', { stock: 3 })).statusCode, 200);
    const keys = items.map((i) => i.id);
    const before = await outboxRows(db, keys);
    assert.equal(before.length, 4);
    assert.ok(before.every((r) => r.published_at === null), 'no other relay published them');

    const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    const crashing = relayOn(producer, () => {
      throw new Error('simulated crash between send and mark');
    });
    await assert.rejects(crashing.runOnce(), /simulated crash/);
    await eventually(() => (tap.forKeys(keys).length >= 4 ? true : undefined), 5_000, 'the first send');
    const afterCrash = await outboxRows(db, keys);
    assert.ok(afterCrash.every((r) => r.published_at === null), 'nothing marked');
    assert.ok(afterCrash.every((r) => r.attempts === 1 && /simulated crash/.test(r.last_error ?? '')));

    const healthy = relayOn(producer);
    const round = await healthy.runOnce();
    assert.equal(round.status, 'published');
    const published = await outboxRows(db, keys);
    assert.ok(published.every((r) => r.published_at !== null), 'all marked');
    await healthy.stop();

    // Every event twice (at least once), none missing, per item in version order.
    const messages = await eventually(() => (tap.forKeys(keys).length >= 8 ? tap.forKeys(keys) : undefined), 5_000, 'the re-send');
    const eventIds = messages.map((m) => (decodeItemEvent(m.value) as { ok: true; value: ItemEvent }).value.id);
    for (const row of before) assert.equal(eventIds.filter((id) => id === row.payload.id).length, 2, row.payload.id);
    const firstItem = messages.filter((m) => m.key === items[0]!.id).map((m) => (decodeItemEvent(m.value) as { ok: true; value: ItemEvent }).value.version);
    assert.deepEqual(firstItem, [1, 2, 1, 2]);
  });

  it('a Kafka failure rolls the round back and counts the attempt; rows are published once Kafka answers', async () => {
    const item = await createItem(app, seller);
    let fail = true;
    const real = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    const flaky: RelayProducer = {
      connect: () => real.connect(),
      disconnect: () => real.disconnect(),
      sendBatch: (batch) => (fail ? Promise.reject(new Error('broker unavailable')) : real.sendBatch(batch)),
    };
    const metrics = new Metrics('test');
    const relay = new OutboxRelay({ store: new OutboxStore(locked), producer: flaky, log: quiet, metrics: relayMetrics(metrics), batchSize: 500, pollMs: 1_000 });
    await assert.rejects(relay.runOnce(), /broker unavailable/);
    const [row] = await outboxRows(db, [item.id]);
    assert.equal(row?.published_at, null);
    assert.equal(row?.attempts, 1);
    assert.equal(row?.last_error, 'broker unavailable');
    assert.match(await metrics.registry.metrics(), /^outbox_publish_failures_total\{[^}]*\} [1-9]/m);
    fail = false;
    assert.equal((await relay.runOnce()).status, 'published');
    const [done] = await outboxRows(db, [item.id]);
    assert.notEqual(done?.published_at, null);
    assert.equal(done?.attempts, 2);
    await relay.stop();
    await eventually(() => tap.forKeys([item.id])[0], 5_000, 'the message');
  });

  it('only one relay round runs at a time across instances (advisory lock)', async () => {
    // Another session (like a second instance) while our session holds the lock.
    const relay = new OutboxRelay({
      store: new OutboxStore(db), producer: kafka().producer(), log: quiet, metrics: relayMetrics(new Metrics('test')), batchSize: 500, pollMs: 1_000,
    });
    assert.deepEqual(await relay.runOnce(), { status: 'locked' });
    await relay.stop();
  });
});

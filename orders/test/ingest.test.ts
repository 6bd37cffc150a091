// The ingest of `orders` and `order-events` against the real Kafka, PostgreSQL and Redis, on topics of the
// test's own: valid documents stored as four tables and read back as sent; every refusal dead-lettered with
// the original bytes, its reason and the source partition/offset, counted by reason, the partition moving on;
// a redelivery acknowledged without change; a conflicting document dead-lettered with the stored one kept;
// status and history from order events (idempotent on the event id, the status following the version).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { INVALID_KINDS, REASON_OF } from '../src/services/generator.ts';
import { contentHash } from '../src/services/validation.ts';
import {
  closeProducer, counts, createTestTopics, db, dropTestTopics, eventMessage, generator, isolation, kafka, orderEvent, readTopic, sample,
  send, startOrders, suffix, waitFor, type OrdersApp,
} from './helpers.ts';

const env = isolation();
const prefix = `ingest${suffix()}`;
let admin: Admin;
let pool: pg.Pool;
let app: OrdersApp;

before(async () => {
  admin = kafka().admin();
  await admin.connect();
  await createTestTopics(admin, env);
  pool = db();
  app = await startOrders(env);
});
after(async () => {
  await app?.app.close();
  await closeProducer();
  await dropTestTopics(admin, env);
  await admin.disconnect();
  await pool.end();
});

const stored = (uid: string) => waitFor(`order ${uid} stored`, () => app.repo.find(uid), 20_000);
const dlqFor = (uids: string[]) => readTopic(admin, env.ORDERS_DLQ_TOPIC!, (read) => uids.every((u) => read.some((r) => r.message.key?.toString() === u)));

describe('orders: ingest', () => {
  it('stores a valid document as one row each of orders, deliveries, payments and one per item, and reads it back as sent', async () => {
    const gen = generator({ uidPrefix: `${prefix}v` });
    const docs = [gen.order(1), gen.order(3), gen.order(100)];
    await send(env.ORDERS_TOPIC!, docs.map((d) => ({ key: d.order_uid, value: Buffer.from(JSON.stringify(d)) })));
    for (const doc of docs) {
      const order = await stored(doc.order_uid);
      const { status, history, ...document } = JSON.parse(order.json) as Record<string, unknown>;
      assert.deepEqual(document, doc);
      assert.equal(status, null);
      assert.deepEqual(history, []);
    }
    assert.deepEqual(await counts(pool, `${prefix}v`), { orders: 3, deliveries: 3, payments: 3, items: 104 });
    const { rows } = await pool.query('SELECT content_sha256, source_partition FROM orders WHERE order_uid = $1', [docs[0]!.order_uid]);
    assert.equal(rows[0].content_sha256, contentHash(docs[0]!));
  });

  it('dead-letters every refusal with the original bytes, reason and source partition/offset, counts it, and the partition moves on', async () => {
    const gen = generator({ uidPrefix: `${prefix}i` });
    const invalid = INVALID_KINDS.map((kind) => gen.invalidMessage(kind));
    const before = Object.fromEntries(await Promise.all(INVALID_KINDS.map(async (k) => [k, await sample(app.app.metrics, 'orders_dlq_total', { reason: REASON_OF[k] })])));
    // Each invalid one and then a valid one under the same key (same partition): the valid one must be stored.
    const follow = invalid.map((m) => ({ ...gen.order(), order_uid: m.uid }));
    const sent = await send(env.ORDERS_TOPIC!, invalid.flatMap((m, i) => [{ key: m.key, value: m.value }, { key: m.key, value: Buffer.from(JSON.stringify({ ...follow[i]!, payment: { ...follow[i]!.payment, transaction: m.uid } })) }]));
    for (const m of invalid) await stored(m.uid);
    const dead = await dlqFor(invalid.map((m) => m.uid));
    invalid.forEach((m, i) => {
      const letter = dead.find((r) => r.message.key?.toString() === m.uid)!;
      assert.equal(letter.message.value === null ? null : letter.message.value.toString('base64'), m.value === null ? null : m.value.toString('base64'), `${m.invalid}: original bytes`);
      assert.ok(letter.header('x-dlq-reason')!.startsWith(`${REASON_OF[m.invalid!]}: `), `${m.invalid}: ${letter.header('x-dlq-reason')}`);
      assert.equal(letter.header('x-original-topic'), env.ORDERS_TOPIC);
      assert.equal(letter.header('x-original-partition'), String(sent[2 * i]!.partition));
      assert.equal(letter.header('x-original-offset'), sent[2 * i]!.offset);
    });
    for (const kind of INVALID_KINDS) {
      const expected = INVALID_KINDS.filter((k) => REASON_OF[k] === REASON_OF[kind]).length;
      assert.equal(await sample(app.app.metrics, 'orders_dlq_total', { reason: REASON_OF[kind] }) - before[kind], expected, kind);
    }
  });

  it('dead-letters what PostgreSQL could not hold (NUL, 32-bit overflow) as unstorable instead of holding up the partition', async () => {
    const gen = generator({ uidPrefix: `${prefix}u` });
    const nul = gen.order(1);
    nul.delivery.name = 'Ivan\u0000Petrov';
    const big = { ...gen.order(1), order_uid: nul.order_uid, sm_id: 2 ** 31 };
    const next = { ...gen.order(1), order_uid: nul.order_uid };
    await send(env.ORDERS_TOPIC!, [nul, big, next].map((d) => ({ key: nul.order_uid, value: Buffer.from(JSON.stringify(d)) })));
    const order = await stored(nul.order_uid);
    assert.equal(JSON.parse(order.json).delivery.name, next.delivery.name);
    const dead = await readTopic(admin, env.ORDERS_DLQ_TOPIC!, (read) => read.filter((r) => r.message.key?.toString() === nul.order_uid).length >= 2);
    const reasons = dead.filter((r) => r.message.key?.toString() === nul.order_uid).map((r) => r.header('x-dlq-reason')!.split(':')[0]);
    assert.deepEqual(reasons, ['unstorable', 'unstorable']);
  });

  it('acknowledges a redelivery without change; a conflicting document goes to the DLQ as a conflict and the stored order stays', async () => {
    const gen = generator({ uidPrefix: `${prefix}d` });
    const doc = gen.order(2);
    const bytes = Buffer.from(JSON.stringify(doc));
    await send(env.ORDERS_TOPIC!, [{ key: doc.order_uid, value: bytes }]);
    const first = await stored(doc.order_uid);
    const { rows: [row] } = await pool.query('SELECT id, ingested_at FROM orders WHERE order_uid = $1', [doc.order_uid]);
    const duplicates = await sample(app.app.metrics, 'orders_ingested_total', { outcome: 'duplicate' });
    // The same content with its keys in another order is the same document.
    const { payment, ...rest } = doc;
    const conflicting = { ...doc, delivery: { ...doc.delivery, city: 'Тверь' } };
    await send(env.ORDERS_TOPIC!, [
      { key: doc.order_uid, value: bytes }, { key: doc.order_uid, value: Buffer.from(JSON.stringify({ ...rest, payment })) },
      { key: doc.order_uid, value: Buffer.from(JSON.stringify(conflicting)) },
    ]);
    const dead = await dlqFor([doc.order_uid]);
    const letter = dead.find((r) => r.message.key?.toString() === doc.order_uid)!;
    assert.match(letter.header('x-dlq-reason')!, /^conflict: /);
    assert.deepEqual(JSON.parse(letter.message.value!.toString()), conflicting);
    await waitFor('two duplicates counted', async () => (await sample(app.app.metrics, 'orders_ingested_total', { outcome: 'duplicate' })) - duplicates === 2);
    const { rows: [after] } = await pool.query('SELECT id, ingested_at FROM orders WHERE order_uid = $1', [doc.order_uid]);
    assert.deepEqual(after, row);
    assert.equal((await app.repo.find(doc.order_uid))!.json, first.json);
    assert.deepEqual(await counts(pool, doc.order_uid), { orders: 1, deliveries: 1, payments: 1, items: 2 });
  });

  it('keeps status and history from order events: a redelivered event changes nothing, an older version does not move the status back', async () => {
    const gen = generator({ uidPrefix: `${prefix}s` });
    const doc = gen.order(1);
    const order = { orderUid: doc.order_uid, customerId: doc.customer_id };
    const t0 = Date.now() - 60_000;
    const placed = orderEvent('order.placed', order, 1, new Date(t0));
    const paid = orderEvent('order.paid', order, 2, new Date(t0 + 1000));
    const shipped = orderEvent('order.shipped', order, 3, new Date(t0 + 2000));
    // Events before the document (another topic), the last change before an earlier one, one twice.
    await send(env.ORDER_EVENTS_TOPIC!, [placed, shipped, placed].map(eventMessage));
    await send(env.ORDERS_TOPIC!, [{ key: doc.order_uid, value: Buffer.from(JSON.stringify(doc)) }]);
    await send(env.ORDER_EVENTS_TOPIC!, [paid, paid].map(eventMessage));
    const answer = await waitFor('three statuses in the history', async () => {
      const found = await app.repo.find(doc.order_uid);
      const parsed = found && (JSON.parse(found.json) as { status: string; history: { status: string; at: string }[] });
      return parsed && parsed.history.length === 3 ? parsed : undefined;
    });
    assert.equal(answer.status, 'shipped');
    assert.deepEqual(answer.history, [
      { status: 'placed', at: new Date(t0).toISOString() }, { status: 'paid', at: new Date(t0 + 1000).toISOString() },
      { status: 'shipped', at: new Date(t0 + 2000).toISOString() },
    ]);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM order_status_events WHERE order_uid = $1', [doc.order_uid]);
    assert.equal(rows[0].n, 3);
  });
});

// The kit's transactional outbox against the real PostgreSQL and Kafka, on tables and a topic of its
// own (created from outboxTableSql, dropped afterwards): the writer commits and rolls back with the
// caller's transaction and notifies; the relay wakes on the NOTIFY, publishes in id order and marks;
// a crash between the send and the mark re-sends; the advisory lock is per table; retention.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { Metrics } from '../src/metrics.ts';
import { OutboxRelay, OutboxStore, OutboxWriter, outboxProducer, outboxTableSql, relayMetrics, type OutboxMessage } from '../src/outbox.ts';
import { DATABASE_URL, createTopics, kafka, pool, quietLog, readTopic, sample, sleep, uniqueSuffix, waitFor } from './helpers.ts';

const suffix = uniqueSuffix('kit_outbox');
const tableA = `test_${suffix}_a`;
const tableB = `test_${suffix}_b`;
const topic = `test-${suffix.replaceAll('_', '-')}`;
let db: pg.Pool;
let admin: Admin;

before(async () => {
  db = pool();
  for (const table of [tableA, tableB]) await db.query(outboxTableSql({ table }));
  admin = kafka().admin();
  await admin.connect();
  await createTopics(admin, [topic]);
});
after(async () => {
  for (const table of [tableA, tableB]) await db.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
  await db.end();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

const message = (key: string, n: number): OutboxMessage => ({
  eventId: randomUUID(), topic, key, payload: { n, key }, headers: { 'content-type': 'application/json', 'x-test': String(n) },
});

/** Runs `fn` in a transaction on one pg client, the way a service would. */
async function inTransaction(fn: (client: pg.PoolClient) => Promise<void>, commit = true): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await fn(client);
    await client.query(commit ? 'COMMIT' : 'ROLLBACK');
  } finally {
    client.release();
  }
}

const rowsOf = async (table: string, key: string) =>
  (await db.query<{ id: string; payload: { n: number }; published_at: Date | null; attempts: number; last_error: string | null }>(
    `SELECT id::text, payload, published_at, attempts, last_error FROM "${table}" WHERE key = $1 ORDER BY id`, [key],
  )).rows;

function relay(table: string, options: { pollMs?: number; listen?: boolean; afterSend?: () => void; metrics?: Metrics; store?: OutboxStore } = {}) {
  return new OutboxRelay({
    store: options.store ?? new OutboxStore(db, { table }), producer: outboxProducer(kafka()), log: quietLog,
    metrics: relayMetrics(options.metrics ?? new Metrics('kit-test')), batchSize: 100, pollMs: options.pollMs ?? 1_000,
    listenConnectionString: options.listen ? DATABASE_URL : undefined, hooks: { afterSend: options.afterSend },
  });
}

describe('OutboxWriter', () => {
  const writer = new OutboxWriter({ table: tableA });

  it('writes nothing when the caller rolls back; commits the rows in order and notifies the channel', async () => {
    const key = randomUUID();
    await inTransaction((c) => writer.add(c, message(key, 0)), false);
    assert.deepEqual(await rowsOf(tableA, key), []);

    const listener = new pg.Client({ connectionString: DATABASE_URL });
    await listener.connect();
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.channel));
    await listener.query(`LISTEN "${tableA}"`);
    try {
      await inTransaction((c) => writer.addAll(c, [message(key, 1), message(key, 2)]));
      await waitFor('the NOTIFY of the commit', () => notified.length > 0);
      assert.deepEqual(notified, [tableA]);
    } finally {
      await listener.end();
    }
    const rows = await rowsOf(tableA, key);
    assert.deepEqual(rows.map((r) => [r.payload.n, r.published_at, r.attempts]), [[1, null, 0], [2, null, 0]]);
  });

  it('refuses table names that are not plain identifiers', () => {
    assert.throws(() => new OutboxWriter({ table: 'outbox; DROP TABLE items' }), /outbox table name/);
    assert.throws(() => outboxTableSql({ table: 'Outbox' }), /outbox table name/);
  });
});

/** A real store that counts the relay's rounds. */
class CountingStore extends OutboxStore {
  rounds = 0;
  override async begin() {
    this.rounds += 1;
    return super.begin();
  }
}

describe('OutboxRelay', () => {
  it('wakes on the NOTIFY, publishes in id order with key and headers, marks the rows and reports metrics', async () => {
    const metrics = new Metrics('kit-test');
    const store = new CountingStore(db, { table: tableB });
    // A poll far beyond the wait below: only the NOTIFY can wake it in time.
    const running = relay(tableB, { pollMs: 600_000, listen: true, metrics, store });
    running.start();
    try {
      // Listening, and the round that follows the LISTEN (it catches what came before) is over.
      await waitFor('the LISTEN', async () => (await db.query(`SELECT 1 FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${tableB}"`])).rowCount === 1);
      await waitFor('the round after the LISTEN', () => store.rounds >= 2);
      await sleep(300);
      const key = randomUUID();
      await inTransaction((c) => new OutboxWriter({ table: tableB }).addAll(c, [1, 2, 3].map((n) => message(key, n))));
      await waitFor('the rows marked published', async () => (await rowsOf(tableB, key)).every((r) => r.published_at !== null));
      const read = await readTopic(admin, topic, (r) => r.filter((m) => m.message.key?.toString() === key).length >= 3);
      const mine = read.filter((m) => m.message.key?.toString() === key);
      assert.deepEqual(mine.map((m) => JSON.parse(m.message.value!.toString()).n), [1, 2, 3]);
      assert.deepEqual(mine.map((m) => m.header('x-test')), ['1', '2', '3']);
      assert.equal(new Set(mine.map((m) => m.partition)).size, 1);
      assert.equal(await sample(metrics, 'outbox_published_total', { table: tableB }), 3);
      assert.equal((await metrics.registry.getSingleMetric('outbox_publish_delay_seconds')?.get())?.values.find((v) => (v as { metricName?: string }).metricName === 'outbox_publish_delay_seconds_count')?.value, 3);
    } finally {
      await running.stop();
    }
  });

  it('a crash after the send and before the mark leaves the rows unpublished; the next round sends them again', async () => {
    const key = randomUUID();
    await inTransaction((c) => new OutboxWriter({ table: tableA }).addAll(c, [message(key, 1), message(key, 2)]));
    const crashing = relay(tableA, {
      afterSend: () => {
        throw new Error('simulated crash between send and mark');
      },
    });
    await assert.rejects(crashing.runOnce(), /simulated crash/);
    await crashing.stop();
    const afterCrash = await rowsOf(tableA, key);
    assert.ok(afterCrash.length > 0 && afterCrash.every((r) => r.published_at === null && r.attempts === 1 && /simulated crash/.test(r.last_error ?? '')), JSON.stringify(afterCrash));

    const healthy = relay(tableA);
    assert.equal((await healthy.runOnce()).status, 'published');
    await healthy.stop();
    assert.ok((await rowsOf(tableA, key)).every((r) => r.published_at !== null && r.attempts === 2));
    const read = await readTopic(admin, topic, (r) => r.filter((m) => m.message.key?.toString() === key).length >= 4);
    const ns = read.filter((m) => m.message.key?.toString() === key).map((m) => JSON.parse(m.message.value!.toString()).n);
    assert.deepEqual(ns, [1, 2, 1, 2], 'duplicates, in order, never a gap');
  });

  it('takes an advisory lock per table: another table\'s relay is not blocked by it', async () => {
    const lockA = new OutboxStore(db, { table: tableA }).lockKey;
    assert.notEqual(lockA, new OutboxStore(db, { table: tableB }).lockKey);
    const holder = new pg.Client({ connectionString: DATABASE_URL });
    await holder.connect();
    try {
      // Like another instance of the service that owns table A, in the middle of a round.
      await holder.query('SELECT pg_advisory_lock(hashtext($1::text))', [lockA]);
      const a = relay(tableA);
      const b = relay(tableB);
      assert.deepEqual(await a.runOnce(), { status: 'locked' });
      assert.notEqual((await b.runOnce()).status, 'locked');
      await Promise.all([a.stop(), b.stop()]);
      // A lock key of one's own choosing moves the relay out of the way of the holder.
      const own = relay(tableA, { store: new OutboxStore(db, { table: tableA, lockKey: `${lockA}:other` }) });
      assert.notEqual((await own.runOnce()).status, 'locked');
      await own.stop();
    } finally {
      await holder.end();
    }
  });

  it('deletes rows published longer ago than the retention, and nothing else', async () => {
    const key = randomUUID();
    await inTransaction((c) => new OutboxWriter({ table: tableA }).addAll(c, [1, 2, 3].map((n) => message(key, n))));
    const [old, recent] = await rowsOf(tableA, key);
    await db.query(`UPDATE "${tableA}" SET published_at = now() - interval '10 days' WHERE id = $1`, [old!.id]);
    await db.query(`UPDATE "${tableA}" SET published_at = now() - interval '2 days' WHERE id = $1`, [recent!.id]);
    const cleaner = new OutboxRelay({
      store: new OutboxStore(db, { table: tableA }), producer: outboxProducer(kafka()), log: quietLog,
      metrics: relayMetrics(new Metrics('kit-test')), batchSize: 100, pollMs: 1_000, retentionDays: 7,
    });
    assert.ok((await cleaner.deleteOld()) >= 1);
    assert.deepEqual((await rowsOf(tableA, key)).map((r) => r.payload.n), [2, 3]);
  });
});

// The orders store's two costs, printed as JSON (needs ./make.sh up: Kafka, PostgreSQL, Redis, the sso):
// 1. ingest: N generated orders (default 20,000) on a topic of the bench's own, consumed by an orders instance in
//    this process (its batching, validation, four-table transactions, dead letters, offset commits, cache fill),
//    in orders/s between the first and the last order stored; beside the raw cost of the same four-table inserts
//    done directly in this run (the repository's batch insert without Kafka, and one transaction per order);
// 2. GET /api/orders/:uid over HTTP to an orders child process, sequential, p50/p99 with the cache warm (every order
//    cached) and with the cache off (CACHE_MAX_ENTRIES=0: PostgreSQL assembles each answer); goal: a hit's p50 at
//    most 0.3× a miss's.
// The bench's orders are deleted afterwards. Usage: node bench/orders.ts [--count 20000] [--gets 3000] [--batch 500]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import pg from 'pg';
import { buildService } from '../orders/src/app.ts';
import { OrderRepository, type Incoming } from '../orders/src/repositories/orders.ts';
import { OrderGenerator } from '../orders/src/services/generator.ts';
import { contentHash, type OrderDocument } from '../orders/src/services/validation.ts';
import { freePort, signUp, sleep, waitFor } from '../test/support.ts';
import { percentile, round } from './load.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '20000' }, gets: { type: 'string', default: '3000' }, batch: { type: 'string', default: '500' } } });
const COUNT = Number(values.count);
const GETS = Number(values.gets);
const BATCH = Number(values.batch);
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const DATABASE_URL = process.env.DATABASE_URL_ORDERS ?? 'postgresql://shop:shop@127.0.0.1:5432/orders';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';

const id = randomBytes(4).toString('hex');
const prefix = `bench${id}`;
const topics = { ORDERS_TOPIC: `orders-bench-${id}`, ORDERS_DLQ_TOPIC: `orders-bench-${id}.dlq`, ORDER_EVENTS_TOPIC: `order-events-bench-${id}` };

const kafka = new Kafka({ clientId: 'orders-bench', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
const customer = await signUp(SSO_URL, { email: `bench-orders-${id}@bench.example`, password: 'bench orders password', name: 'Bench orders', role: 'customer' });

const instance = async (extra: Record<string, string>) => {
  const service = await buildService({
    HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'silent', DATABASE_URL, KAFKA_BROKERS, REDIS_URL, SSO_URL, ...topics,
    ORDERS_GROUP: `orders-bench-${id}`, ORDER_EVENTS_GROUP: `orders-bench-events-${id}`, REDIS_KEY_PREFIX: `orders-bench-${id}:`, INGEST_BATCH_SIZE: String(BATCH), ...extra,
  });
  await service.start();
  await waitFor('the bench instance ready', async () => (await fetch(`http://127.0.0.1:${service.config.PORT}/health/ready`)).ok, 60_000, 100);
  return service;
};

async function ingest() {
  const docs = new OrderGenerator({ count: 0, seed: 20261202, uidPrefix: `${prefix}k`, customerId: customer.id });
  const orders = Array.from({ length: COUNT }, () => docs.order());
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < orders.length; i += 1000) {
    await producer.send({ topic: topics.ORDERS_TOPIC, acks: -1, messages: orders.slice(i, i + 1000).map((o) => ({ key: o.order_uid, value: Buffer.from(JSON.stringify(o)) })) });
  }
  await producer.disconnect();
  const started = performance.now();
  const service = await instance({ CACHE_WARM_COUNT: '0', CACHE_MAX_ENTRIES: String(COUNT * 2) });
  await waitFor('every bench order stored', async () => {
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE order_uid LIKE $1', [`${prefix}k%`]);
    return rows[0]!.n === COUNT;
  }, 10 * 60_000, 200);
  const wallMs = performance.now() - started;
  const { rows: [span] } = await pool.query<{ ms: number }>(`SELECT extract(epoch FROM max(ingested_at) - min(ingested_at)) * 1000 AS ms FROM orders WHERE order_uid LIKE $1`, [`${prefix}k%`]);
  await service.app.close();
  return { orders, wallMs, spanMs: Number(span!.ms) };
}

async function raw(orders: OrderDocument[]) {
  const repo = new OrderRepository(pool);
  // The same documents under other uids, so they are new rows.
  const copies = orders.map((o, i) => ({ ...o, order_uid: `${prefix}r${i}` }));
  const batched = performance.now();
  for (let i = 0; i < copies.length; i += BATCH) {
    const batch: Incoming[] = copies.slice(i, i + BATCH).map((doc, j) => ({ doc, hash: contentHash(doc), partition: 0, offset: String(i + j) }));
    await repo.storeBatch(batch);
  }
  const batchedMs = performance.now() - batched;
  // One transaction of four plain INSERT statements per order (a smaller sample: it is the slow way).
  const singles = copies.slice(0, Math.min(copies.length, 2000)).map((o, i) => ({ ...o, order_uid: `${prefix}s${i}` }));
  const client = await pool.connect();
  const single = performance.now();
  try {
    for (const doc of singles) {
      await client.query('BEGIN');
      const { rows: [row] } = await client.query<{ id: string }>(
        `INSERT INTO orders (order_uid, track_number, entry, locale, internal_signature, customer_id, delivery_service, shardkey, sm_id, date_created, created_at, oof_shard, content_sha256, source_partition, source_offset)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text, $10::timestamptz, $11, $12, 0, 0) RETURNING id`,
        [doc.order_uid, doc.track_number, doc.entry, doc.locale, doc.internal_signature, doc.customer_id, doc.delivery_service, doc.shardkey, doc.sm_id, doc.date_created, doc.oof_shard, contentHash(doc)],
      );
      const d = doc.delivery;
      await client.query('INSERT INTO deliveries VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [row!.id, d.name, d.phone, d.zip, d.city, d.address, d.region, d.email]);
      const p = doc.payment;
      await client.query('INSERT INTO payments VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [row!.id, p.transaction, p.request_id, p.currency, p.provider, p.amount, p.payment_dt, p.bank, p.delivery_cost, p.goods_total, p.custom_fee]);
      for (const [position, it] of doc.items.entries()) {
        await client.query('INSERT INTO order_items VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)', [row!.id, position, it.chrt_id, it.track_number, it.price, it.rid, it.name, it.sale, it.size, it.total_price, it.nm_id, it.brand, it.status]);
      }
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
  const singleMs = performance.now() - single;
  return { batched: { orders: copies.length, ms: Math.round(batchedMs), perSecond: Math.round(copies.length / (batchedMs / 1000)) }, perOrderTransaction: { orders: singles.length, ms: Math.round(singleMs), perSecond: Math.round(singles.length / (singleMs / 1000)) } };
}

/** An orders instance as a child process (the HTTP client here does not share its event loop). */
async function child(extra: Record<string, string>): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [fileURLToPath(new URL('../orders/src/main.ts', import.meta.url))], {
    env: {
      ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', DATABASE_URL, KAFKA_BROKERS, REDIS_URL, SSO_URL, ...topics,
      ORDERS_GROUP: `orders-bench-${id}`, ORDER_EVENTS_GROUP: `orders-bench-events-${id}`, REDIS_KEY_PREFIX: `orders-bench-${id}:`, ...extra,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor('the bench child ready', async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, 60_000, 100);
  return { port, stop: async () => {
    proc.kill('SIGTERM');
    await once(proc, 'exit');
  } };
}

async function gets(uids: string[], extra: Record<string, string>) {
  const service = await child(extra);
  const base = `http://127.0.0.1:${service.port}/api/orders/`;
  const headers = { authorization: `Bearer ${customer.token}` };
  const cache: Record<string, number> = {};
  for (let i = 0; i < 200; i++) await (await fetch(base + uids[i % uids.length], { headers })).arrayBuffer(); // warm the connection and the JIT
  const times: number[] = [];
  for (let i = 0; i < GETS; i++) {
    const t = performance.now();
    const res = await fetch(base + uids[Math.floor(Math.random() * uids.length)], { headers });
    await res.arrayBuffer();
    times.push(performance.now() - t);
    const x = res.headers.get('x-cache') ?? String(res.status);
    cache[x] = (cache[x] ?? 0) + 1;
  }
  // The floor of this client and server: an answer with no work behind it.
  const floor: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await (await fetch(`http://127.0.0.1:${service.port}/health/live`)).arrayBuffer();
    floor.push(performance.now() - t);
  }
  await service.stop();
  times.sort((a, b) => a - b);
  floor.sort((a, b) => a - b);
  return { requests: GETS, distinctOrders: uids.length, p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)), xCache: cache, healthLiveP50Ms: round(percentile(floor, 50)) };
}

try {
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })) });
  const ingested = await ingest();
  const rawInserts = await raw(ingested.orders);
  const uids = ingested.orders.slice(0, 2000).map((o) => o.order_uid);
  const warm = await gets(uids, { CACHE_WARM_COUNT: String(COUNT), CACHE_MAX_ENTRIES: String(COUNT * 2) });
  const off = await gets(uids, { CACHE_MAX_ENTRIES: '0', CACHE_WARM_COUNT: '0' });
  const ingestPerSecond = Math.round(COUNT / (ingested.spanMs / 1000));
  console.log(JSON.stringify({
    bench: 'orders', count: COUNT, batch: BATCH,
    ingest: {
      perSecond: ingestPerSecond, firstToLastStoredMs: Math.round(ingested.spanMs),
      wallMs: Math.round(ingested.wallMs), wallPerSecond: Math.round(COUNT / (ingested.wallMs / 1000)),
      note: 'perSecond: between the first and the last order stored; wall: from the instance start (group join included)',
    },
    rawInserts: { ...rawInserts, ingestShareOfRawBatched: round(ingestPerSecond / rawInserts.batched.perSecond) },
    get: { cacheWarm: warm, cacheOff: off, hitP50OverMissP50: round(warm.p50Ms / off.p50Ms), goal: 'hit p50 ≤ 0.3 × miss p50' },
  }, null, 2));
} finally {
  await pool.query('DELETE FROM orders WHERE order_uid LIKE $1', [`${prefix}%`]).catch(() => undefined);
  await admin.deleteGroups([`orders-bench-${id}`, `orders-bench-events-${id}`]).catch(() => undefined);
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
  await pool.end();
  await sleep(10);
}

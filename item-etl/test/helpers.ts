// Shared set-up of the item-etl integration tests, against the real Kafka, Elasticsearch and
// PostgreSQL (addresses from the environment, loopback defaults). Every fixture has its own topic
// pair, alias and consumer group (random suffix), so the running service is never disturbed, and
// removes them again in `close()`.
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { Client } from '@elastic/elasticsearch';
import { encodeItemEvent, type ItemEvent, type ItemEventType, type ItemSnapshot, type ReviewSummary } from '@shop/contracts';
import { Kafka, Partitioners, logLevel, type Admin, type IHeaders, type Producer } from 'kafkajs';
import pg from 'pg';
import { IndexLifecycle } from '../src/index/lifecycle.ts';
import { sleep, waitFor as pollFor } from '../../test/support.ts';

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
export const DATABASE_URL = process.env.DATABASE_URL_SHOP ?? 'postgresql://shop:shop@127.0.0.1:5432/shop';
export const ROOT = new URL('../..', import.meta.url).pathname;

export { sleep };

/** Polls `fn` until it returns a truthy value (30 s, every 200 ms unless told). */
export const waitFor = <T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000, intervalMs = 200) => pollFor(what, fn, timeoutMs, intervalMs);

export interface Fixture {
  suffix: string;
  topic: string;
  dlqTopic: string;
  alias: string;
  groupId: string;
  sellerId: string;
  sellerName: string;
  /** A leaf category under a root one: `${suffix}-shoes` (Беговые кроссовки) under `${suffix}-root` (Одежда). */
  category: string;
  rootCategory: string;
  es: Client;
  db: pg.Pool;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  lifecycle: IndexLifecycle;
  env(extra?: Record<string, string>): Record<string, string>;
  snapshot(overrides?: Partial<ItemSnapshot>): ItemSnapshot;
  event(type: ItemEventType, data: ItemSnapshot): ItemEvent;
  /** One send per call; returns the partition and offset of every message (in order). */
  produce(messages: { key: string | null; value: Buffer | string | null; headers?: IHeaders }[]): Promise<{ partition: number; offset: number }[]>;
  produceEvents(events: ItemEvent[]): Promise<{ partition: number; offset: number }[]>;
  /** The document behind the alias (after a refresh), or undefined. */
  doc(id: string): Promise<(Record<string, unknown> & { version: number }) | undefined>;
  /** How many documents of this fixture's seller the alias holds (after a refresh). */
  count(query?: Record<string, unknown>): Promise<number>;
  /** Inserts or updates the item's row; `reviewSummary` is `items.review_summary` (null: none yet). */
  insertItem(s: ItemSnapshot, extra?: { ratingSum?: number; ratingCount?: number; reviewSummary?: ReviewSummary | null }): Promise<void>;
  close(): Promise<void>;
}

export async function createFixture(label: string, options: { seedDatabase?: boolean } = {}): Promise<Fixture> {
  const suffix = `${label}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`.toLowerCase();
  const topic = `test-item-events-${suffix}`;
  const dlqTopic = `${topic}.dlq`;
  const alias = `test-items-${suffix}`;
  const groupId = `test-etl-${suffix}`;
  const es = new Client({ node: ELASTICSEARCH_URL, requestTimeout: 30_000 });
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  const kafka = new Kafka({ clientId: `test-${suffix}`, brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }, { topic: dlqTopic, numPartitions: 3 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const lifecycle = new IndexLifecycle(es, { alias, refreshInterval: '1s' });

  const sellerId = randomUUID();
  const sellerName = `Магазин  Тестовый ${suffix}`;
  const rootCategory = `${suffix}-root`;
  const category = `${suffix}-shoes`;
  if (options.seedDatabase !== false) {
    await db.query('INSERT INTO sellers (id, display_name, updated_at) VALUES ($1, $2, now())', [sellerId, sellerName]);
    await db.query(
      `INSERT INTO categories (slug, name_ru, name_en, parent_slug) VALUES ($1, 'Одежда и обувь', 'Clothing', NULL), ($2, 'Беговые кроссовки', 'Running shoes', $1)`,
      [rootCategory, category],
    );
  }

  const f: Fixture = {
    suffix, topic, dlqTopic, alias, groupId, sellerId, sellerName, category, rootCategory, es, db, kafka, admin, producer, lifecycle,
    env: (extra = {}) => ({
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'silent',
      KAFKA_BROKERS, ELASTICSEARCH_URL, DATABASE_URL,
      ITEM_EVENTS_TOPIC: topic, DLQ_TOPIC: dlqTopic, ETL_GROUP_ID: groupId, ITEMS_ALIAS: alias,
      INDEX_REFRESH_INTERVAL: '1s',
      ...extra,
    }),
    snapshot(overrides = {}) {
      const now = new Date().toISOString();
      return {
        id: randomUUID(), sellerId, name: 'Кроссовки беговые', description: 'Лёгкие кроссовки для бега', brand: 'Nike',
        category, price: '4999.90', currency: 'RUB', stock: 5, attributes: { 'цвет': 'чёрный', size: 42 }, images: [],
        status: 'active', version: 1, createdAt: now, updatedAt: now, ...overrides,
      };
    },
    event(type, data) {
      return { id: randomUUID(), type, version: data.version, occurredAt: new Date().toISOString(), source: 'item-etl-test', data };
    },
    async produce(messages) {
      const res = await producer.send({ topic, acks: -1, messages });
      if (messages.length === 1) return [{ partition: res[0]!.partition, offset: Number(res[0]!.baseOffset) }];
      // A send to several partitions answers one base offset per partition: count forward per partition.
      const next = new Map(res.map((r) => [r.partition, Number(r.baseOffset)]));
      return messages.map((m) => {
        const partition = partitionOf(m.key);
        const offset = next.get(partition)!;
        next.set(partition, offset + 1);
        return { partition, offset };
      });
    },
    produceEvents(events) {
      return f.produce(events.map((e) => ({ key: e.data.id, value: encodeItemEvent(e), headers: { 'content-type': 'application/json' } })));
    },
    async doc(id) {
      await es.indices.refresh({ index: alias });
      try {
        const res = await es.get<Record<string, unknown> & { version: number }>({ index: alias, id });
        return res._source;
      } catch (err) {
        if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return undefined;
        throw err;
      }
    },
    async count(query) {
      await es.indices.refresh({ index: alias });
      const res = await es.count({ index: alias, query: { bool: { filter: [{ term: { sellerId } }, ...(query ? [query] : [])] } } });
      return res.count;
    },
    async insertItem(s, extra = {}) {
      await db.query(
        `INSERT INTO items (id, seller_id, name, description, brand, category_slug, price, currency, stock, attributes, status, version,
                            rating_sum, rating_count, review_summary, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::"ItemStatus", $12, $13, $14, $15::jsonb, $16, $17)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, brand = EXCLUDED.brand,
           price = EXCLUDED.price, stock = EXCLUDED.stock, attributes = EXCLUDED.attributes, status = EXCLUDED.status,
           version = EXCLUDED.version, updated_at = EXCLUDED.updated_at, review_summary = EXCLUDED.review_summary`,
        [s.id, s.sellerId, s.name, s.description, s.brand, s.category, s.price, s.currency, s.stock, JSON.stringify(s.attributes), s.status, s.version,
          extra.ratingSum ?? 0, extra.ratingCount ?? 0, extra.reviewSummary ? JSON.stringify(extra.reviewSummary) : null, s.createdAt, s.updatedAt],
      );
    },
    async close() {
      await producer.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await lifecycle.dropAll().catch(() => undefined);
      await db.query('DELETE FROM items WHERE seller_id = $1', [sellerId]).catch(() => undefined);
      await db.query('DELETE FROM sellers WHERE id = $1', [sellerId]).catch(() => undefined);
      await db.query('DELETE FROM categories WHERE slug = ANY($1)', [[category, rootCategory]]).catch(() => undefined);
      await db.end().catch(() => undefined);
      await es.close().catch(() => undefined);
    },
  };
  return f;
}

const partitioner = Partitioners.DefaultPartitioner();
const metadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));

/** The partition KafkaJS's DefaultPartitioner (murmur2, as Java) puts a key on, for 3 partitions. */
export function partitionOf(key: string | null): number {
  if (key === null) throw new Error('keyless messages have no fixed partition: send them alone');
  return partitioner({ topic: 'any', partitionMetadata: metadata, message: { key, value: null } });
}

/** Committed offsets of the fixture's group, by partition (-1: nothing committed). */
export async function committedOffsets(f: Fixture): Promise<Map<number, number>> {
  const res = await f.admin.fetchOffsets({ groupId: f.groupId, topics: [f.topic] });
  return new Map((res[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

export async function highWatermarks(f: Fixture): Promise<Map<number, number>> {
  const res = await f.admin.fetchTopicOffsets(f.topic);
  return new Map(res.map((p) => [p.partition, Number(p.high)]));
}

/** Reads `count` messages from the fixture's dead-letter topic. */
export async function readDlq(f: Fixture, count: number, timeoutMs = 30_000) {
  const groupId = `${f.groupId}-dlq-reader-${randomBytes(3).toString('hex')}`;
  const consumer = f.kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  const seen: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [f.dlqTopic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
        seen.push({ key: message.key, value: message.value, headers });
      },
    });
    await waitFor(`${count} dead letters`, async () => seen.length >= count, timeoutMs);
  } finally {
    await consumer.disconnect();
    await f.admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return seen;
}

export interface Child { pid: number; exited: Promise<number | null>; output(): string; kill(signal: NodeJS.Signals): void }

/** Runs `node <script>` from the repository root with `env`. */
export function spawnNode(script: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return {
    pid: child.pid!,
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
    output: () => out,
    kill: (signal) => child.kill(signal),
  };
}

/** Runs the CLI to the end: exit code, parsed JSON stdout, stderr. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; json: Record<string, unknown>; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['item-etl/src/cli.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        // left empty: the assertion on it shows stdout/stderr
      }
      resolve({ code, json, stdout, stderr });
    });
  });
}

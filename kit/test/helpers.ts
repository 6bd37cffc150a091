// Shared set-up of the kit's integration tests against the real PostgreSQL and Kafka (addresses from
// the environment, loopback defaults). Each test file makes its own topics, tables and groups with a
// random suffix and removes them in its `after`.
import { randomBytes } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type IHeaders, type KafkaMessage, type Producer } from 'kafkajs';
import pg from 'pg';
import type { Metrics } from '../src/metrics.ts';
import { sleep, waitFor } from '../../test/support.ts';

export { sleep, waitFor };

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const DATABASE_URL = process.env.DATABASE_URL_SHOP ?? 'postgresql://shop:shop@127.0.0.1:5432/shop';

export const quietLog = { info() {}, warn() {}, error() {}, debug() {} };

export const uniqueSuffix = (label: string) => `${label}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

export const kafka = () => new Kafka({ clientId: 'kit-test', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });

let shared: Producer | undefined;
/** One idempotent producer per test process, connected on first use (`closeProducer` in the suite's `after`). */
export async function producerOnce(): Promise<Producer> {
  if (!shared) {
    shared = kafka().producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await shared.connect();
  }
  return shared;
}
export const closeProducer = async (): Promise<void> => {
  await shared?.disconnect();
  shared = undefined;
};

export const pool = () => new pg.Pool({ connectionString: DATABASE_URL, max: 4 });

export async function createTopics(admin: Admin, topics: string[], numPartitions = 3): Promise<void> {
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions })) });
}

/** The sum over partitions of one group's committed offsets on `topic` (nothing committed counts 0). */
export async function committedTotal(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/** The sum over partitions of the high watermarks of `topic`. */
export async function highTotal(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

export interface Read { partition: number; message: KafkaMessage; header(name: string): string | undefined }

/** Reads `topic` from the beginning until `enough(read)` holds, with a throwaway group (deleted afterwards). */
export async function readTopic(admin: Admin, topic: string, enough: (read: Read[]) => boolean, timeoutMs = 20_000): Promise<Read[]> {
  const groupId = `kit-test-reader-${randomBytes(4).toString('hex')}`;
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
  const read: Read[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        read.push({ partition, message, header: (name) => message.headers?.[name]?.toString() });
      },
    });
    await waitFor(`messages on ${topic}`, () => enough(read), timeoutMs, 100);
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return read;
}

/** One Prometheus sample: the sum of the series of `name` whose labels include `labels`. */
export async function sample(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = await metrics.registry.getSingleMetric(name)?.get();
  return (found?.values ?? [])
    .filter((v) => (v as { metricName?: string }).metricName === undefined || (v as { metricName?: string }).metricName === name)
    .filter((v) => Object.entries(labels).every(([k, value]) => String((v.labels as Record<string, unknown>)[k]) === value))
    .reduce((sum, v) => sum + v.value, 0);
}

export interface TappedMessage { partition: number; offset: string; key: string; value: Buffer; headers: Record<string, string>; timestamp: number }

export interface Tap {
  messages: TappedMessage[];
  forKeys(keys: Iterable<string>): TappedMessage[];
  close(): Promise<void>;
}

/**
 * Reads `topic` from its current end with a consumer group of its own (joined and fetching before this returns, so
 * nothing written afterwards is missed); `close` deletes the group. Tests filter by their own keys: topics are shared.
 */
export async function tapTopic(topic: string, label = 'test'): Promise<Tap> {
  const client = kafka();
  const admin = client.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  const groupId = `${label}-tap-${randomBytes(6).toString('hex')}`;
  const consumer: Consumer = client.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 100 });
  const messages: TappedMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  const fetched = new Promise<void>((resolve) => consumer.on(consumer.events.FETCH, () => resolve()));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      messages.push({
        partition, offset: message.offset, key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0),
        headers: headersOf(message.headers), timestamp: Number(message.timestamp),
      });
    },
  });
  for (const { partition, offset } of offsets) consumer.seek({ topic, partition, offset });
  await joined;
  await fetched;
  return {
    messages,
    forKeys: (keys) => {
      const wanted = new Set(keys);
      return messages.filter((m) => wanted.has(m.key));
    },
    async close() {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

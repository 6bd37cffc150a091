// Shared set-up of the orders tests: the service built in-process (or as a child process) against the real
// PostgreSQL (database orders), Kafka and Redis and the running sso, on Kafka topics and consumer groups of
// the test's own (the running orders service never sees them) and a Redis key prefix of its own; order
// documents from the service's generator; users from the running sso.
import { randomBytes, randomUUID } from 'node:crypto';
import { ORDER_STATUS_BY_EVENT, encodeOrderEvent, type OrderEvent, type OrderEventType } from '@shop/contracts';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { createTopics, kafka, readTopic, sample, type Read } from '../../kit/test/helpers.ts';
import { newAdmin, newUser, type User } from '../../item-crud/test/helpers.ts';
import { closeProducer, producerOnce } from '../../notifier/test/helpers.ts';
import { sleep, waitFor } from '../../test/support.ts';
import { buildService } from '../src/app.ts';
import { OrderGenerator, type GeneratorOptions } from '../src/services/generator.ts';

export { closeProducer, kafka, producerOnce, newAdmin, newUser, readTopic, sample, sleep, waitFor, type Read, type User };

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const DATABASE_URL = process.env.DATABASE_URL_ORDERS ?? 'postgresql://shop:shop@127.0.0.1:5432/orders';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';

export type OrdersApp = Awaited<ReturnType<typeof buildService>>;

export const suffix = () => randomBytes(4).toString('hex');

/** Topics, groups and a Redis key prefix of one test instance (their environment variables). */
export function isolation(id = suffix()): Record<string, string> {
  return {
    ORDERS_TOPIC: `orders-test-${id}`, ORDERS_DLQ_TOPIC: `orders-test-${id}.dlq`, ORDER_EVENTS_TOPIC: `order-events-test-${id}`,
    ORDERS_GROUP: `orders-test-${id}`, ORDER_EVENTS_GROUP: `orders-events-test-${id}`, REDIS_KEY_PREFIX: `orders-test-${id}:`,
  };
}

/** The environment of an orders instance for tests (quiet, fast retries) plus `extra`. */
export const testEnv = (extra: Record<string, string>): Record<string, string> => ({
  HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL, KAFKA_BROKERS, REDIS_URL, SSO_URL,
  INGEST_RETRY_MIN_MS: '50', INGEST_RETRY_MAX_MS: '1000', ...extra,
});

/** Creates the instance's topics (3 partitions each). */
export async function createTestTopics(admin: Admin, env: Record<string, string>): Promise<void> {
  await createTopics(admin, [env.ORDERS_TOPIC!, env.ORDERS_DLQ_TOPIC!, env.ORDER_EVENTS_TOPIC!]);
}

/** Deletes the instance's topics and groups. */
export async function dropTestTopics(admin: Admin, env: Record<string, string>): Promise<void> {
  await admin.deleteGroups([env.ORDERS_GROUP!, env.ORDER_EVENTS_GROUP!]).catch(() => undefined);
  await admin.deleteTopics({ topics: [env.ORDERS_TOPIC!, env.ORDERS_DLQ_TOPIC!, env.ORDER_EVENTS_TOPIC!] }).catch(() => undefined);
}

/** An orders service in this process, ready (consumers in their groups, cache warmed). */
export async function startOrders(extra: Record<string, string>): Promise<OrdersApp> {
  const service = await buildService(testEnv(extra));
  await service.app.ready();
  await waitFor('the orders instance ready', async () => {
    for (const consumer of service.consumers) consumer.check();
    return service.isWarm();
  }, 30_000, 100);
  return service;
}

export const db = () => new pg.Pool({ connectionString: DATABASE_URL, max: 4 });

/** Sends messages (key, raw value) to a topic: each one's partition and offset. */
export async function send(topic: string, messages: { key: string; value: Buffer | null }[]): Promise<{ partition: number; offset: string }[]> {
  const out: { partition: number; offset: string }[] = [];
  for (const m of messages) {
    const [res] = await (await producerOnce()).send({ topic, acks: -1, messages: [{ key: m.key, value: m.value, headers: { 'content-type': 'application/json' } }] });
    out.push({ partition: res!.partition, offset: res!.baseOffset! });
  }
  return out;
}

/** A generator of this test's orders (uids start with `prefix`). */
export const generator = (options: Partial<GeneratorOptions> & { uidPrefix: string }) => new OrderGenerator({ count: 0, seed: Date.now(), ...options });

export function orderEvent(type: OrderEventType, order: { orderUid: string; customerId: string }, version: number, at = new Date()): OrderEvent {
  return {
    id: randomUUID(), type, version, occurredAt: at.toISOString(), source: 'orders-test',
    data: {
      orderUid: order.orderUid, customerId: order.customerId, status: ORDER_STATUS_BY_EVENT[type], total: '1999.90', currency: 'RUB',
      lines: [{ itemId: randomUUID(), sellerId: randomUUID(), quantity: 1, price: '1999.90' }],
    },
  };
}
export const eventMessage = (event: OrderEvent) => ({ key: event.data.orderUid, value: encodeOrderEvent(event) });

/** Rows per table of the orders whose uid starts with `prefix`. */
export async function counts(pool: pg.Pool, prefix: string): Promise<{ orders: number; deliveries: number; payments: number; items: number }> {
  const { rows } = await pool.query<{ orders: string; deliveries: string; payments: string; items: string }>(
    `SELECT (SELECT count(*) FROM orders WHERE order_uid LIKE $1) AS orders,
       (SELECT count(*) FROM deliveries d JOIN orders o ON o.id = d.order_id WHERE o.order_uid LIKE $1) AS deliveries,
       (SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.order_uid LIKE $1) AS payments,
       (SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.order_uid LIKE $1) AS items`,
    [`${prefix}%`],
  );
  const r = rows[0]!;
  return { orders: Number(r.orders), deliveries: Number(r.deliveries), payments: Number(r.payments), items: Number(r.items) };
}

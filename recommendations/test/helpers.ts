// Shared set-up of the recommendations tests: the service built in-process against the real PostgreSQL (a database
// of the tests' own, recommendations_test), Redis (a key prefix of its own), Kafka (topics of its own: the events it
// sends reach no other consumer — fake items would otherwise be indexed by item-etl, fake orders mailed by the
// notifier, fake activity counted by analytics), Elasticsearch and the running sso. A TCP relay in front of
// PostgreSQL and Redis lets a test take them away and bring them back without touching the shared servers.
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import {
  ORDER_STATUS_BY_EVENT, encodeActivityEvent, encodeItemEvent, encodeOrderEvent, type ActivityEvent, type ItemEvent, type ItemSnapshot, type OrderEvent,
} from '@shop/contracts';
import { Partitioners, type Producer } from 'kafkajs';
import pg from 'pg';
import { createTopics, kafka, sleep, waitFor } from '../../kit/test/helpers.ts';
import { signUp, testDatabase } from '../../test/support.ts';
import { buildService } from '../src/app.ts';

export { sleep, waitFor };

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
export const DATABASE_URL = await testDatabase(
  process.env.DATABASE_URL_RECOMMENDATIONS ?? 'postgresql://shop:shop@127.0.0.1:5432/recommendations', 'recommendations_test', 'recommendations.config.ts', 'DATABASE_URL_RECOMMENDATIONS',
);

export type RecommendationsApp = Awaited<ReturnType<typeof buildService>>;

/** This run's topics, category and Redis prefix (nothing is shared with another run or the stack). */
export const RUN = randomBytes(4).toString('hex');
export const TOPICS = { activity: `rec-test-${RUN}.user-activity`, orders: `rec-test-${RUN}.order-events`, items: `rec-test-${RUN}.item-events` };

export async function createTestTopics(): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await createTopics(admin, Object.values(TOPICS));
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTestTopics(groups: string[] = []): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(TOPICS) }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export const newGroups = () => {
  const id = randomBytes(4).toString('hex');
  return { ACTIVITY_GROUP: `rec-test-activity-${id}`, ORDER_EVENTS_GROUP: `rec-test-orders-${id}`, ITEM_EVENTS_GROUP: `rec-test-items-${id}` };
};

export async function startService(extra: Record<string, string> = {}): Promise<RecommendationsApp> {
  const service = await buildService({
    HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX: `rec-test-${RUN}:`, KAFKA_BROKERS, ELASTICSEARCH_URL, SSO_URL,
    USER_ACTIVITY_TOPIC: TOPICS.activity, ORDER_EVENTS_TOPIC: TOPICS.orders, ITEM_EVENTS_TOPIC: TOPICS.items,
    CACHE_TTL_SECONDS: '120', SNAPSHOT_REFRESH_MS: '200', ...newGroups(), ...extra,
  });
  await service.app.ready();
  await waitFor('the consumers in their groups', async () => {
    for (const consumer of service.consumers) await consumer.check();
    return true;
  }, 30_000, 100);
  return service;
}

let producer: Producer | undefined;
async function producerOnce(): Promise<Producer> {
  if (!producer) {
    producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  }
  return producer;
}
export const closeProducer = async () => {
  await producer?.disconnect();
  producer = undefined;
};

export async function send(topic: string, key: string, value: Buffer): Promise<void> {
  await (await producerOnce()).send({ topic, acks: -1, messages: [{ key, value, headers: { 'content-type': 'application/json' } }] });
}

/** A catalog item of this run (category `rec-test-<run>[-suffix]`). */
export function item(over: Partial<ItemSnapshot> = {}): ItemSnapshot {
  const now = new Date().toISOString();
  return {
    id: randomUUID(), article: 1 + Math.floor(Math.random() * 2_000_000_000), sellerId: randomUUID(), name: `Test item ${randomBytes(3).toString('hex')}`, description: 'a test item',
    brand: `Brand ${randomBytes(3).toString('hex')}`, category: `rec-test-${RUN}`, price: '100.00', currency: 'RUB', stock: 10, attributes: {}, images: [],
    status: 'active', version: 1, createdAt: now, updatedAt: now, ...over,
  };
}

export async function sendItem(snapshot: ItemSnapshot): Promise<void> {
  const type = snapshot.status === 'deleted' ? 'item.deleted' : snapshot.version === 1 ? 'item.created' : 'item.updated';
  const event: ItemEvent = { id: randomUUID(), type, version: snapshot.version, occurredAt: new Date().toISOString(), source: 'rec-test', data: snapshot };
  await send(TOPICS.items, snapshot.id, encodeItemEvent(event));
}

export function activity(type: ActivityEvent['type'], who: { anonymousId: string; userId?: string }, over: Partial<ActivityEvent> = {}): ActivityEvent {
  return { eventId: randomUUID(), type, occurredAt: new Date().toISOString(), ...who, ...(type === 'add_to_cart' ? { quantity: 1 } : {}), ...over };
}

export async function sendActivity(...events: ActivityEvent[]): Promise<void> {
  for (const e of events) await send(TOPICS.activity, e.userId ?? e.anonymousId, encodeActivityEvent(e));
}

/** Views of these items, in order, in one session of the shopper. */
export const sendViews = (who: { anonymousId: string; userId?: string }, ids: string[]) => sendActivity(...ids.map((itemId) => activity('product_view', who, { itemId })));

export function orderPaid(customerId: string, itemIds: string[], orderUid = `rectest${randomBytes(6).toString('hex')}`): OrderEvent {
  return {
    id: randomUUID(), type: 'order.paid', version: 2, occurredAt: new Date().toISOString(), source: 'rec-test',
    data: { orderUid, customerId, status: ORDER_STATUS_BY_EVENT['order.paid'], total: '100.00', currency: 'RUB', lines: itemIds.map((itemId) => ({ itemId, sellerId: randomUUID(), quantity: 1, price: '100.00' })) },
  };
}

export const sendOrder = (event: OrderEvent) => send(TOPICS.orders, event.data.orderUid, encodeOrderEvent(event));

export const newAnonymous = () => ({ anonymousId: `rectest-${randomBytes(6).toString('hex')}` });

export async function newUser(): Promise<{ id: string; token: string }> {
  return signUp(SSO_URL, { email: `rec-${randomBytes(5).toString('hex')}@test.example`, password: 'recommendations test password', name: 'Rec Tester', role: 'customer' });
}

export const db = () => new pg.Pool({ connectionString: DATABASE_URL, max: 2 });

export interface Listed { status: number; body: { items: { id: string; brand: string }[]; source: string }; cache?: string; degraded?: string }

export async function get(app: RecommendationsApp['app'], url: string, headers: Record<string, string> = {}): Promise<Listed> {
  const res = await app.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, body: res.json(), cache: res.headers['x-cache'] as string | undefined, degraded: res.headers['x-degraded'] as string | undefined };
}

export const ids = (listed: Listed) => listed.body.items.map((i) => i.id);

/** A TCP relay to a real server that a test can cut (every connection dropped, new ones refused) and restore. */
export class Relay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;
  readonly host: string;
  readonly targetPort: number;
  constructor(host: string, targetPort: number) {
    this.host = host;
    this.targetPort = targetPort;
  }

  async start(): Promise<this> {
    const server = createServer((client) => {
      const upstream = createConnection(this.targetPort, this.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
    return this;
  }

  /** Down: open connections dropped, new ones refused. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Up again on the same port. */
  restore(): Promise<this> {
    return this.start();
  }
}

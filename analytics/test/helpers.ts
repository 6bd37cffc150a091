// Shared set-up of the analytics tests: the app built in-process against the real PostgreSQL (database
// analytics), Kafka and the running sso, with consumer groups of its own. The running analytics service
// consumes the same topics; the event-id dedup makes whichever counts an event first the only one that does,
// so the tests read exact counts (each test uses its own item ids, queries and shoppers).
import { randomBytes, randomUUID } from 'node:crypto';
import { USER_ACTIVITY_TOPIC, activityKey, encodeActivityEvent, type ActivityEvent } from '@shop/contracts';
import { Partitioners, type Producer } from 'kafkajs';
import pg from 'pg';
import { kafka, quietLog, readTopic, sleep, waitFor } from '../../kit/test/helpers.ts';
import { signUp } from '../../test/support.ts';
import { buildService } from '../src/app.ts';

export { kafka, quietLog, readTopic, sleep, waitFor };

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const DATABASE_URL = process.env.DATABASE_URL_ANALYTICS ?? 'postgresql://shop:shop@127.0.0.1:5432/analytics';
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';

export type AnalyticsApp = Awaited<ReturnType<typeof buildService>>;

export const newGroups = () => {
  const id = randomBytes(4).toString('hex');
  return {
    ACTIVITY_GROUP: `analytics-test-${id}`, ORDER_EVENTS_GROUP: `analytics-test-orders-${id}`, USER_EVENTS_GROUP: `analytics-test-users-${id}`, ITEM_EVENTS_GROUP: `analytics-test-items-${id}`,
    REVIEW_SUMMARIES_GROUP: `analytics-test-reviews-${id}`,
  };
};

/** An analytics in this process; new groups start at the beginning of the topics (what is there was counted already). */
export async function startAnalytics(extra: Record<string, string> = {}): Promise<AnalyticsApp> {
  const service = await buildService({
    HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL, KAFKA_BROKERS, SSO_URL, RELAY_POLL_MS: '100', ...newGroups(), ...extra,
  });
  await service.app.ready();
  await waitFor('the consumers in their groups', async () => {
    for (const consumer of service.consumers) consumer.check();
    return true;
  }, 60_000, 100);
  return service;
}

/** Removes test consumer groups (after their consumers stopped). */
export async function deleteGroups(groups: string[]): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export const db = () => new pg.Pool({ connectionString: DATABASE_URL, max: 2 });

let producer: Producer | undefined;
export async function producerOnce(): Promise<Producer> {
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

/** Produces raw bytes to a topic: its partition and offset. */
export async function sendRaw(topic: string, key: string, value: Buffer | null): Promise<{ partition: number; offset: string }> {
  const [res] = await (await producerOnce()).send({ topic, acks: -1, messages: [{ key, value, headers: { 'content-type': 'application/json' } }] });
  return { partition: res!.partition, offset: res!.baseOffset! };
}

/** Activity events straight onto `user-activity` (as search, facade and cart put them there). */
export async function sendActivity(events: ActivityEvent[]): Promise<void> {
  await (await producerOnce()).send({
    topic: USER_ACTIVITY_TOPIC, acks: -1,
    messages: events.map((e) => ({ key: activityKey(e), value: encodeActivityEvent(e), headers: { 'content-type': 'application/json' } })),
  });
}

export const anonId = () => `anon-${randomBytes(6).toString('hex')}`;

export function activity(type: ActivityEvent['type'], fields: Partial<ActivityEvent> = {}): ActivityEvent {
  return { eventId: randomUUID(), type, occurredAt: new Date().toISOString(), anonymousId: fields.anonymousId ?? anonId(), ...fields };
}

/** A new customer (or seller) at the running sso, signed in. */
export async function newUser(role: 'customer' | 'seller' = 'customer'): Promise<{ id: string; token: string; auth: { authorization: string } }> {
  const { id, token } = await signUp(SSO_URL, { email: `analytics-${role}-${randomBytes(4).toString('hex')}@test.example`, password: 'analytics test password', name: `Analytics ${role}`, role });
  return { id, token, auth: { authorization: `Bearer ${token}` } };
}

/** Sums of one item's hourly counters. */
export async function itemTotals(pool: pg.Pool, itemId: string) {
  const { rows } = await pool.query<{ views: number; carts: number; cart_removals: number; purchases: number; revenue: string }>(
    `SELECT coalesce(sum(views), 0)::int AS views, coalesce(sum(carts), 0)::int AS carts, coalesce(sum(cart_removals), 0)::int AS cart_removals,
       coalesce(sum(purchases), 0)::int AS purchases, coalesce(sum(revenue), 0)::text AS revenue FROM item_hourly WHERE item_id = $1`, [itemId]);
  return rows[0]!;
}

/** Sums of one query's hourly counters. */
export async function queryTotals(pool: pg.Pool, query: string) {
  const { rows } = await pool.query<{ searches: number; no_results: number; clicked_searches: number; clicks: number; position_sum: number; converted_searches: number }>(
    `SELECT coalesce(sum(searches), 0)::int AS searches, coalesce(sum(no_results), 0)::int AS no_results, coalesce(sum(clicked_searches), 0)::int AS clicked_searches,
       coalesce(sum(clicks), 0)::int AS clicks, coalesce(sum(position_sum), 0)::int AS position_sum, coalesce(sum(converted_searches), 0)::int AS converted_searches
     FROM query_hourly WHERE query = $1`, [query]);
  return rows[0]!;
}

/** Where user-activity ends now: read from there, a test sees only what came after. */
export async function activityEnd(): Promise<{ partition: number; offset: string }[]> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(USER_ACTIVITY_TOPIC)).map((p) => ({ partition: p.partition, offset: p.high }));
  } finally {
    await admin.disconnect();
  }
}

/** The activity events on user-activity after `since` that `match`, once `enough` holds for them (a throwaway group). */
export async function readActivity(since: { partition: number; offset: string }[], match: (e: ActivityEvent) => boolean, enough: (found: ActivityEvent[]) => boolean, timeoutMs = 20_000): Promise<ActivityEvent[]> {
  const groupId = `activity-reader-${randomBytes(4).toString('hex')}`;
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
  const found: ActivityEvent[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [USER_ACTIVITY_TOPIC] });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const p of since) consumer.seek({ topic: USER_ACTIVITY_TOPIC, partition: p.partition, offset: p.offset });
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const e = JSON.parse(message.value?.toString() ?? 'null') as ActivityEvent | null;
        if (e && match(e)) found.push(e);
      },
    });
    await waitFor('the activity events', () => enough(found), timeoutMs, 100);
  } finally {
    await consumer.disconnect();
    await deleteGroups([groupId]);
  }
  return found;
}

/**
 * Where clients send POST /api/activity: the proxy when it lets anonymous activity through to analytics, else
 * analytics itself (a proxy started before the route existed: 404, or before its gate knew it: 401).
 */
export async function activityBase(base = process.env.PROXY_URL ?? 'http://127.0.0.1:8080'): Promise<string> {
  const res = await fetch(`${base}/api/activity`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await res.arrayBuffer();
  return res.status === 404 || res.status === 401 ? process.env.ANALYTICS_URL ?? 'http://127.0.0.1:8090' : base;
}

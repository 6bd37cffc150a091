// The consumers against the real PostgreSQL and Kafka: each aggregate checked after known events, exactly once
// under redelivery (the same message twice, a second consumer group re-reading everything), clicks before their
// search, conversions from paid orders, registrations, the item dimension, dead letters.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Admin } from 'kafkajs';
import {
  ORDER_EVENTS_TOPIC, ORDER_STATUS_BY_EVENT, USER_ACTIVITY_DLQ_TOPIC, USER_ACTIVITY_TOPIC, USER_EVENTS_TOPIC,
  encodeOrderEvent, type ActivityEvent, type OrderEvent,
} from '@shop/contracts';
import { createItem, newSeller, patchItem } from '../../facade/test/helpers.ts';
import { purchasesOf } from '../src/repositories/activity.ts';
import { activity, activityEnd, anonId, closeProducer, db, newGroups, newUser, readActivity, itemTotals, kafka, queryTotals, readTopic, sendActivity, sendRaw, sleep, startAnalytics, waitFor, type AnalyticsApp } from './helpers.ts';

let svc: AnalyticsApp;
let admin: Admin;
const groups: string[] = [];
const pool = db();
before(async () => {
  admin = kafka().admin();
  await admin.connect();
  svc = await startAnalytics();
  groups.push(...svc.consumers.map((c) => c.groupId));
});
after(async () => {
  await svc.app.close();
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
  await closeProducer();
  await pool.end();
});

const counted = async (ids: string[]) => Number((await pool.query('SELECT count(*) FROM events WHERE event_id = ANY($1::uuid[])', [ids])).rows[0].count);
const waitCounted = (events: { eventId: string }[]) => waitFor('the events counted', async () => (await counted(events.map((e) => e.eventId))) === events.length, 30_000, 100);
const uniqueQuery = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

function paidOrder(customerId: string, lines: { itemId: string; quantity: number; price: string }[]): OrderEvent {
  const total = (lines.reduce((s, l) => s + Math.round(Number(l.price) * 100) * l.quantity, 0) / 100).toFixed(2);
  return {
    id: randomUUID(), type: 'order.paid', version: 2, occurredAt: new Date().toISOString(), source: 'analytics-test',
    data: { orderUid: `atest${randomUUID().slice(0, 8)}`, customerId, status: ORDER_STATUS_BY_EVENT['order.paid'], total, currency: 'RUB', lines: lines.map((l) => ({ ...l, sellerId: randomUUID() })) },
  };
}

describe('aggregates', () => {
  it('counts views, carts and removals per item, each event once however often delivered', async () => {
    const item = randomUUID();
    const anon = anonId();
    const events: ActivityEvent[] = [
      activity('product_view', { itemId: item, anonymousId: anon }), activity('product_view', { itemId: item, anonymousId: anon }),
      activity('product_view', { itemId: item }), activity('add_to_cart', { itemId: item, quantity: 2, anonymousId: anon }),
      activity('remove_from_cart', { itemId: item, quantity: 1, anonymousId: anon }),
    ];
    await sendActivity(events);
    await sendActivity(events.slice(0, 3)); // redelivered
    await waitCounted(events);
    await sleep(1_500); // the redelivered copies have been consumed too
    assert.deepEqual(await itemTotals(pool, item), { views: 3, carts: 2, cart_removals: 1, purchases: 0, revenue: '0.00' });
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM active_hourly WHERE actor = $1`, [`a:${anon}`]);
    assert.equal(rows[0].n, 1, 'active once per hour');
  });

  it('search metrics: no-result searches, clicks, positions, searches with a click; a click before its search counts', async () => {
    const query = uniqueQuery('kettle');
    const anon = anonId();
    const s1 = activity('search', { queryId: randomUUID(), query, results: 12, anonymousId: anon });
    const s2 = activity('search', { queryId: randomUUID(), query, results: 12, anonymousId: anon });
    const s3 = activity('search', { queryId: randomUUID(), query, results: 0, anonymousId: anonId() });
    const c1 = activity('search_click', { queryId: s1.queryId, itemId: randomUUID(), position: 1, anonymousId: anon });
    const c2 = activity('search_click', { queryId: s1.queryId, itemId: randomUUID(), position: 4, anonymousId: anon });
    const early = activity('search_click', { queryId: s2.queryId, itemId: randomUUID(), position: 2, anonymousId: anon });
    await sendActivity([early]);
    await waitCounted([early]);
    await sendActivity([s1, s2, s3, c1, c2]);
    await waitCounted([s1, s2, s3, c1, c2]);
    assert.deepEqual(await queryTotals(pool, query), { searches: 3, no_results: 1, clicked_searches: 2, clicks: 3, position_sum: 7, converted_searches: 0 });
    await sendActivity([s1, c1, early]); // redelivered
    await sleep(1_500);
    assert.equal((await queryTotals(pool, query)).clicks, 3);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM query_actor_daily WHERE query = $1', [query]);
    assert.equal(rows[0].n, 2, 'popularity: once per shopper per day');
  });

  it('a paid order: orders and revenue once, purchases per item on user-activity, conversion of the search whose click was bought', async () => {
    const customer = randomUUID();
    const bought = randomUUID();
    const other = randomUUID();
    const query = uniqueQuery('teapot');
    const search = activity('search', { queryId: randomUUID(), query, results: 5, userId: customer, anonymousId: `user:${customer}`, occurredAt: new Date(Date.now() - 60_000).toISOString() });
    const click = activity('search_click', { queryId: search.queryId, itemId: bought, position: 3, userId: customer, anonymousId: `user:${customer}`, occurredAt: new Date(Date.now() - 30_000).toISOString() });
    await sendActivity([search, click]);
    await waitCounted([search, click]);

    const since = await activityEnd();
    const order = paidOrder(customer, [{ itemId: bought, quantity: 2, price: '150.25' }, { itemId: other, quantity: 1, price: '10.00' }]);
    await sendRaw(ORDER_EVENTS_TOPIC, order.data.orderUid, encodeOrderEvent(order));
    await sendRaw(ORDER_EVENTS_TOPIC, order.data.orderUid, encodeOrderEvent(order)); // redelivered
    const purchases = purchasesOf(order);
    await waitCounted(purchases);
    await sleep(1_500);
    assert.deepEqual(await itemTotals(pool, bought), { views: 0, carts: 0, cart_removals: 0, purchases: 2, revenue: '300.50' });
    assert.deepEqual(await itemTotals(pool, other), { views: 0, carts: 0, cart_removals: 0, purchases: 1, revenue: '10.00' });
    const { rows } = await pool.query(`SELECT type, value::text FROM events WHERE event_id = $1`, [order.id]);
    assert.deepEqual(rows, [{ type: 'order', value: '310.50' }]);
    assert.equal((await queryTotals(pool, query)).converted_searches, 1);
    const { rows: outbox } = await pool.query(`SELECT count(*)::int AS n FROM outbox WHERE event_id = ANY($1::uuid[])`, [purchases.map((p) => p.eventId)]);
    assert.equal(outbox[0].n, 2, 'purchases written once to the outbox');
    const ids = purchases.map((p) => p.eventId);
    const onTopic = await readActivity(since, (e) => ids.includes(e.eventId), (found) => found.length >= 2);
    assert.deepEqual(onTopic.map((e) => [e.type, e.orderUid, e.userId]), [['purchase', order.data.orderUid, customer], ['purchase', order.data.orderUid, customer]]);

    // A second purchase of the same item does not convert the same search again.
    const again = paidOrder(customer, [{ itemId: bought, quantity: 1, price: '150.25' }]);
    await sendRaw(ORDER_EVENTS_TOPIC, again.data.orderUid, encodeOrderEvent(again));
    await waitCounted(purchasesOf(again));
    assert.equal((await queryTotals(pool, query)).converted_searches, 1);
  });

  it('a purchase counted before the search and the click it converts still converts that search, once', async () => {
    const customer = randomUUID();
    const bought = randomUUID();
    const query = uniqueQuery('samovar');
    // loms's purchase overtakes the shop's search and click (another producer, another partition).
    const order = paidOrder(customer, [{ itemId: bought, quantity: 1, price: '99.00' }]);
    await sendRaw(ORDER_EVENTS_TOPIC, order.data.orderUid, encodeOrderEvent(order));
    await waitCounted(purchasesOf(order));
    const search = activity('search', { queryId: randomUUID(), query, results: 5, userId: customer, anonymousId: `user:${customer}`, occurredAt: new Date(Date.now() - 60_000).toISOString() });
    const click = activity('search_click', { queryId: search.queryId, itemId: bought, position: 1, userId: customer, anonymousId: `user:${customer}`, occurredAt: new Date(Date.now() - 30_000).toISOString() });
    // The click before its search too: the search's arrival converts it.
    await sendActivity([click]);
    await waitCounted([click]);
    assert.equal((await queryTotals(pool, query)).converted_searches, 0, 'no search yet');
    await sendActivity([search]);
    await waitCounted([search]);
    assert.deepEqual(await queryTotals(pool, query), { searches: 1, no_results: 0, clicked_searches: 1, clicks: 1, position_sum: 1, converted_searches: 1 });
    // A later search of the same shopper, clicked after the purchase, does not convert (the click came after it).
    const later = activity('search', { queryId: randomUUID(), query, results: 5, userId: customer, anonymousId: `user:${customer}` });
    const laterClick = activity('search_click', { queryId: later.queryId, itemId: bought, position: 2, userId: customer, anonymousId: `user:${customer}`, occurredAt: new Date(Date.now() + 1_000).toISOString() });
    await sendActivity([later, laterClick]);
    await waitCounted([later, laterClick]);
    await sendActivity([search, click]); // redelivered
    await sleep(1_500);
    assert.deepEqual(await queryTotals(pool, query), { searches: 2, no_results: 0, clicked_searches: 2, clicks: 2, position_sum: 3, converted_searches: 1 });
  });

  it('registrations from user-events, once; the item dimension from item-events, latest version', async () => {
    // A real registration (the sso's outbox puts user.registered on user-events), then the same message again.
    const user = await newUser();
    await waitFor('registered', async () => (await pool.query(`SELECT 1 FROM events WHERE type = 'registration' AND user_id = $1`, [user.id])).rowCount === 1, 30_000, 100);
    const [message] = (await readTopic(admin, USER_EVENTS_TOPIC, (read) => read.some((r) => r.message.key?.toString() === user.id), 30_000))
      .filter((r) => r.message.key?.toString() === user.id);
    await sendRaw(USER_EVENTS_TOPIC, user.id, message!.message.value);
    await sleep(1_500);
    assert.equal((await pool.query(`SELECT count(*)::int AS n FROM events WHERE type = 'registration' AND user_id = $1`, [user.id])).rows[0].n, 1);

    // The item dimension from item-crud's own events (a real item: the catalog's consumers see only real items).
    const seller = await newSeller('analytics-seller');
    const item = await createItem(seller, { name: 'Analytics kettle v1', category: 'smartphones' });
    await patchItem(seller, item, { name: 'Analytics kettle v2' });
    const row = await waitFor('the item at version 2', async () => {
      const { rows } = await pool.query('SELECT name, category, seller_id, version FROM items WHERE item_id = $1 AND version >= 2', [item.id]);
      return rows[0];
    }, 30_000, 100);
    assert.deepEqual(row, { name: 'Analytics kettle v2', category: 'smartphones', seller_id: seller.id, version: 2 });
  });

  it('a second consumer group re-reading user-activity from an earlier offset changes nothing', async () => {
    const since = await activityEnd();
    const item = randomUUID();
    const events = [activity('product_view', { itemId: item }), activity('add_to_cart', { itemId: item, quantity: 5 })];
    await sendActivity(events);
    await waitCounted(events);
    const upTo = await activityEnd();
    // A new group whose committed offsets are where the topic ended before these events: it reads them again.
    const g = newGroups();
    await admin.setOffsets({ groupId: g.ACTIVITY_GROUP, topic: USER_ACTIVITY_TOPIC, partitions: since.map((p) => ({ partition: p.partition, offset: p.offset })) });
    const second = await startAnalytics({ RELAY_ENABLED: 'false', ...g });
    try {
      groups.push(...second.consumers.map((c) => c.groupId));
      await waitFor('the second group caught up', async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: g.ACTIVITY_GROUP, topics: [USER_ACTIVITY_TOPIC] });
        return upTo.every((p) => Number(offsets?.partitions.find((o) => o.partition === p.partition)?.offset ?? -1) >= Number(p.offset));
      }, 120_000, 500);
    } finally {
      await second.app.close();
    }
    assert.deepEqual(await itemTotals(pool, item), { views: 1, carts: 5, cart_removals: 0, purchases: 0, revenue: '0.00' });
  });

  it('retention: raw events and searches past RAW_RETENTION_DAYS, popularity past 60 days go; aggregates stay', async () => {
    const [old, recent, oldSearch] = [randomUUID(), randomUUID(), randomUUID()];
    const q = uniqueQuery('retention');
    await pool.query(`INSERT INTO events (event_id, type, occurred_at, anonymous_id, received_at) VALUES ($1, 'page_view', now(), 'anon-retention', now() - interval '31 days'), ($2, 'page_view', now(), 'anon-retention', now() - interval '29 days')`, [old, recent]);
    await pool.query(`INSERT INTO searches (query_id, query, occurred_at, results) VALUES ($1, $2, now() - interval '31 days', 1)`, [oldSearch, q]);
    await pool.query(`INSERT INTO query_actor_daily (day, query, actor) VALUES (current_date - 61, $1, 'a:anon-retention'), (current_date - 59, $1, 'a:anon-retention-2')`, [q]);
    await pool.query(`INSERT INTO query_hourly (hour, query, searches) VALUES (date_trunc('hour', now() - interval '40 days'), $1, 1)`, [q]);
    assert.ok(await svc.repo.deleteOld(30, 60) >= 3);
    assert.equal((await pool.query('SELECT 1 FROM events WHERE event_id = ANY($1::uuid[])', [[old, recent]])).rowCount, 1);
    assert.equal((await pool.query('SELECT 1 FROM events WHERE event_id = $1', [recent])).rowCount, 1);
    assert.equal((await pool.query('SELECT 1 FROM searches WHERE query_id = $1', [oldSearch])).rowCount, 0);
    assert.equal((await pool.query('SELECT 1 FROM query_actor_daily WHERE query = $1', [q])).rowCount, 1);
    assert.equal((await queryTotals(pool, q)).searches, 1, 'the aggregates stay');
    await pool.query('DELETE FROM events WHERE event_id = $1', [recent]);
  });

  it('dead-letters what does not fit the contract, with the reason, and moves on', async () => {
    const key = anonId();
    await sendRaw(USER_ACTIVITY_TOPIC, key, Buffer.from('{"type":"product_view"}'));
    const after = activity('product_view', { itemId: randomUUID(), anonymousId: key });
    await sendActivity([after]);
    await waitCounted([after]);
    const dead = await readTopic(admin, USER_ACTIVITY_DLQ_TOPIC, (read) => read.some((r) => r.message.key?.toString() === key), 30_000);
    const letter = dead.find((r) => r.message.key?.toString() === key)!;
    assert.match(letter.header('x-dlq-reason') ?? '', /^schema: .*eventId/);
  });
});

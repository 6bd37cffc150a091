// The analytics API against known events in an hour of the past that nothing else uses: every figure exact,
// growth against the previous period, rates as defined, 400 on a bad range, admins only, and a seller sees only
// their own items.
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ORDER_EVENTS_TOPIC, ORDER_STATUS_BY_EVENT, USER_EVENTS_TOPIC, encodeOrderEvent, encodeUserEvent, type ActivityEvent, type OrderEvent,
} from '@shop/contracts';
import { createItem, newSeller } from '../../facade/test/helpers.ts';
import { newAdmin, newUser } from '../../item-crud/test/helpers.ts';
import { purchasesOf } from '../src/repositories/activity.ts';
import { activity, closeProducer, db, deleteGroups, sendActivity, sendRaw, startAnalytics, waitFor, type AnalyticsApp } from './helpers.ts';

const HOUR = 3_600_000;
// An hour between 2001 and 2018 that no other run uses (the aggregates are shared with the running service).
const H = Date.UTC(2001, 0, 1) + randomInt(0, 150_000) * HOUR;
const at = (ms: number) => new Date(ms).toISOString();
const period = `from=${encodeURIComponent(at(H))}&to=${encodeURIComponent(at(H + 2 * HOUR))}`;

let svc: AnalyticsApp;
let adminAuth: { authorization: string };
let customerAuth: { authorization: string };
const sellers: { id: string; auth: { authorization: string } }[] = [];
const pool = db();
let itemA: string;
let itemB: string;
const customer = randomUUID();
const q1 = `kettle ${randomUUID().slice(0, 6)}`;
const q2 = `zzz ${randomUUID().slice(0, 6)}`;

const counted = async (ids: string[]) => Number((await pool.query('SELECT count(*) FROM events WHERE event_id = ANY($1::uuid[])', [ids])).rows[0].count);
const waitCounted = (ids: string[]) => waitFor('counted', async () => (await counted(ids)) === ids.length, 30_000, 100);

function paid(ms: number, lines: { itemId: string; quantity: number; price: string }[], total: string): OrderEvent {
  return {
    id: randomUUID(), type: 'order.paid', version: 2, occurredAt: at(ms), source: 'analytics-test',
    data: { orderUid: `atest${randomUUID().slice(0, 8)}`, customerId: customer, status: ORDER_STATUS_BY_EVENT['order.paid'], total, currency: 'RUB', lines: lines.map((l) => ({ ...l, sellerId: sellers[0]!.id })) },
  };
}

before(async () => {
  svc = await startAnalytics();
  const [admin, c, s1, s2] = await Promise.all([newAdmin(), newUser('customer'), newSeller('analytics-s1'), newSeller('analytics-s2')]);
  adminAuth = admin.auth;
  customerAuth = c.auth;
  sellers.push({ id: s1.id, auth: s1.auth }, { id: s2.id, auth: s2.auth });
  // Real items (item-crud's events fill the item dimension): A of seller 1 in laptops, B of seller 2 in smartphones.
  itemA = (await createItem(s1, { name: 'Kettle A', category: 'laptops' })).id;
  itemB = (await createItem(s2, { name: 'Iron B', category: 'smartphones' })).id;

  const u = { userId: customer, anonymousId: `user:${customer}` };
  const s1q = activity('search', { ...u, queryId: randomUUID(), query: q1, results: 5, occurredAt: at(H + 60_000) });
  const events: ActivityEvent[] = [
    activity('product_view', { itemId: itemA, ...u, occurredAt: at(H + 120_000) }),
    activity('product_view', { itemId: itemA, anonymousId: 'anon-api-test-1', occurredAt: at(H + HOUR + 60_000) }),
    activity('product_view', { itemId: itemA, anonymousId: 'anon-api-test-2', occurredAt: at(H + HOUR + 120_000) }),
    activity('product_view', { itemId: itemB, anonymousId: 'anon-api-test-2', occurredAt: at(H + HOUR + 180_000) }),
    activity('add_to_cart', { itemId: itemA, quantity: 2, value: '100.00', currency: 'RUB', ...u, occurredAt: at(H + 150_000) }),
    s1q,
    activity('search', { queryId: randomUUID(), query: q1, results: 5, anonymousId: 'anon-api-test-2', occurredAt: at(H + HOUR) }),
    activity('search', { queryId: randomUUID(), query: q2, results: 0, anonymousId: 'anon-api-test-2', occurredAt: at(H + HOUR + 1) }),
    activity('search_click', { queryId: s1q.queryId, itemId: itemA, position: 2, ...u, occurredAt: at(H + 90_000) }),
    activity('product_view', { itemId: itemA, anonymousId: 'anon-api-test-3', occurredAt: at(H - HOUR) }), // previous period
  ];
  await sendActivity(events);
  await waitCounted(events.map((e) => e.eventId));

  const registration = { id: randomUUID(), type: 'user.registered' as const, version: 1, occurredAt: at(H + 600_000), source: 'sso', data: { id: randomUUID(), role: 'customer' as const, createdAt: at(H + 600_000) } };
  await sendRaw(USER_EVENTS_TOPIC, registration.data.id, encodeUserEvent(registration));
  const now = paid(H + 200_000, [{ itemId: itemA, quantity: 1, price: '100.00' }], '100.00');
  const before = paid(H - HOUR, [{ itemId: itemB, quantity: 1, price: '50.00' }], '50.00');
  for (const o of [now, before]) await sendRaw(ORDER_EVENTS_TOPIC, o.data.orderUid, encodeOrderEvent(o));
  await waitCounted([registration.id, ...purchasesOf(now).map((p) => p.eventId), ...purchasesOf(before).map((p) => p.eventId)]);
  await waitFor('the items', async () => (await pool.query('SELECT 1 FROM items WHERE item_id = ANY($1::uuid[])', [[itemA, itemB]])).rowCount === 2, 30_000, 100);
});

after(async () => {
  await svc?.app.close();
  if (svc) await deleteGroups(svc.consumers.map((c) => c.groupId));
  await closeProducer();
  await pool.end();
});

const get = async (url: string, auth: Record<string, string> = adminAuth) => {
  const res = await svc.app.inject({ method: 'GET', url, headers: auth });
  return { status: res.statusCode, body: res.json(), type: res.headers['content-type'] };
};

describe('analytics API', () => {
  it('overview: exact totals, previous period, growth and rates', async () => {
    const { status, body } = await get(`/api/analytics/overview?${period}`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.from, at(H));
    assert.deepEqual(body.previous, { from: at(H - 2 * HOUR), to: at(H) });
    assert.deepEqual(body.totals, {
      productViews: 4, pageViews: 0, addToCarts: 2, purchases: 1, orders: 1, revenue: '100.00', registrations: 1, activeShoppers: 3, activeUsers: 1,
      searches: 3, noResultSearches: 1, clickedSearches: 1, clicks: 1, convertedSearches: 1,
    });
    assert.deepEqual([body.previousTotals.productViews, body.previousTotals.orders, body.previousTotals.revenue, body.previousTotals.purchases], [1, 1, '50.00', 1]);
    assert.deepEqual([body.growth.productViews, body.growth.orders, body.growth.revenue, body.growth.searches], [3, 0, 1, null]);
    assert.deepEqual(body.rates, { clickThroughRate: 0.5, conversionRate: 0.5, noResultRate: 0.3333 });
  });

  it('top products by each metric, by category', async () => {
    const views = (await get(`/api/analytics/products/top?${period}&metric=views`)).body;
    assert.deepEqual(views.items.map((i: { itemId: string; views: number; name: string }) => [i.itemId, i.views, i.name]), [[itemA, 3, 'Kettle A'], [itemB, 1, 'Iron B']]);
    const revenue = (await get(`/api/analytics/products/top?${period}&metric=revenue`)).body;
    assert.deepEqual(revenue.items.map((i: { itemId: string; revenue: string; purchases: number }) => [i.itemId, i.revenue, i.purchases]), [[itemA, '100.00', 1]]);
    const carts = (await get(`/api/analytics/products/top?${period}&metric=carts&category=smartphones`)).body;
    assert.deepEqual(carts.items, []);
    const irons = (await get(`/api/analytics/products/top?${period}&category=smartphones`)).body;
    assert.deepEqual(irons.items.map((i: { itemId: string }) => i.itemId), [itemB]);
  });

  it('search queries: top, no results, low click-through', async () => {
    const top = (await get(`/api/analytics/search/queries?${period}&kind=top`)).body;
    const mine = top.queries.filter((q: { query: string }) => q.query === q1 || q.query === q2);
    assert.deepEqual(mine, [
      { query: q1, searches: 2, noResults: 0, clickedSearches: 1, clicks: 1, convertedSearches: 1, averagePosition: 2, clickThroughRate: 0.5, conversionRate: 0.5, noResultRate: 0 },
      { query: q2, searches: 1, noResults: 1, clickedSearches: 0, clicks: 0, convertedSearches: 0, averagePosition: null, clickThroughRate: null, conversionRate: null, noResultRate: 1 },
    ]);
    const none = (await get(`/api/analytics/search/queries?${period}&kind=no-results`)).body;
    assert.deepEqual(none.queries.map((q: { query: string }) => q.query), [q2]);
    const low = (await get(`/api/analytics/search/queries?${period}&kind=low-ctr&minSearches=2`)).body;
    assert.deepEqual(low.queries.map((q: { query: string }) => q.query), [q1]);
  });

  it('sales and users per day with growth', async () => {
    const sales = (await get(`/api/analytics/sales?${period}&interval=day`)).body;
    const day = at(H).slice(0, 10);
    const point = sales.points.find((p: { start: string }) => p.start === day);
    assert.ok(point, JSON.stringify(sales.points));
    assert.deepEqual(sales.totals, { orders: 1, revenue: '100.00' });
    assert.deepEqual(sales.previousTotals, { orders: 1, revenue: '50.00' });
    assert.deepEqual(sales.growth, { orders: 0, revenue: 1 });
    const weeks = (await get(`/api/analytics/sales?${period}&interval=week`)).body;
    assert.equal(weeks.points.length, 1);
    assert.equal(new Date(`${weeks.points[0].start}T00:00:00Z`).getUTCDay(), 1, 'weeks start on Monday');
    const users = (await get(`/api/analytics/users?${period}`)).body;
    assert.deepEqual(users.totals, { registrations: 1, activeShoppers: 3, activeUsers: 1 });
    assert.deepEqual(users.previousTotals, { registrations: 0, activeShoppers: 2, activeUsers: 1 });
    assert.deepEqual(users.growth, { registrations: null, activeShoppers: 0.5, activeUsers: 0 });
  });

  it('a seller sees only their own items', async () => {
    const [s1, s2] = sellers;
    const one = (await get(`/api/analytics/sellers/me?${period}`, s1!.auth)).body;
    assert.equal(one.sellerId, s1!.id);
    assert.deepEqual(one.totals, { views: 3, carts: 2, purchases: 1, revenue: '100.00' });
    assert.deepEqual(one.items.map((i: { itemId: string }) => i.itemId), [itemA]);
    const two = (await get(`/api/analytics/sellers/me?${period}`, s2!.auth)).body;
    assert.deepEqual(two.totals, { views: 1, carts: 0, purchases: 0, revenue: '0.00' });
    assert.deepEqual(two.previousTotals, { views: 0, carts: 0, purchases: 1, revenue: '50.00' });
    assert.deepEqual(two.items.map((i: { itemId: string }) => i.itemId), [itemB]);
  });

  it('admins only; sellers only for their route; 401 without a token', async () => {
    for (const path of ['overview', 'products/top', 'search/queries', 'sales', 'users']) {
      assert.equal((await get(`/api/analytics/${path}`, customerAuth)).status, 403, path);
      assert.equal((await get(`/api/analytics/${path}`, sellers[0]!.auth)).status, 403, path);
      assert.equal((await get(`/api/analytics/${path}`, {})).status, 401, path);
      assert.equal((await get(`/api/analytics/${path}`)).status, 200, path);
    }
    assert.equal((await get('/api/analytics/sellers/me', customerAuth)).status, 403);
    assert.equal((await get('/api/analytics/sellers/me', {})).status, 401);
  });

  it('popular queries: each shopper once per day, at least two shoppers, only queries that found something', async () => {
    const tag = randomUUID().slice(0, 6);
    const [two, one, none] = [`popular two ${tag}`, `popular one ${tag}`, `popular none ${tag}`];
    const search = (query: string, anonymousId: string, results = 3) => activity('search', { queryId: randomUUID(), query, results, anonymousId });
    const events = [
      search(two, 'anon-popular-a'), search(two, 'anon-popular-a'), search(two, 'anon-popular-a'), search(two, 'anon-popular-b'),
      ...Array.from({ length: 5 }, () => search(one, 'anon-popular-c')),
      search(none, 'anon-popular-a', 0), search(none, 'anon-popular-b', 0),
    ];
    await sendActivity(events);
    await waitCounted(events.map((e) => e.eventId));
    const res = await svc.app.inject({ method: 'GET', url: '/api/analytics/popular-queries?limit=5000' });
    assert.equal(res.statusCode, 200, res.body);
    const found = res.json<{ queries: { query: string; score: number; shoppers: number }[] }>().queries.filter((q) => q.query.endsWith(tag));
    assert.deepEqual(found, [{ query: two, score: 2, shoppers: 2 }], 'three searches of one shopper count once; one shopper is not popular; nothing found is not suggested');
    assert.equal((await svc.app.inject({ method: 'GET', url: '/api/analytics/popular-queries?limit=0' })).statusCode, 400);
  });

  it('400 problem+json on a bad range or bad parameters', async () => {
    const bad = [
      `from=${at(H + HOUR)}&to=${at(H)}`, `from=${at(H)}&to=${at(H)}`, `from=2020-01-01T00:00:00Z&to=2021-06-01T00:00:00Z`,
      'from=yesterday', 'to=2026-13-01T00:00:00Z', 'metric=clicks', 'limit=0', 'limit=101', 'unknown=1',
    ];
    for (const q of bad) {
      const res = await get(`/api/analytics/products/top?${q.replaceAll('+', '%2B')}`);
      assert.equal(res.status, 400, q);
      assert.match(String(res.type), /application\/problem\+json/, q);
    }
    assert.equal((await get('/api/analytics/sales?interval=month')).status, 400);
    assert.equal((await get('/api/analytics/search/queries?kind=worst')).status, 400);
    assert.equal((await get(`/api/analytics/sellers/me?from=${at(H + HOUR)}&to=${at(H)}`, sellers[0]!.auth)).status, 400);
    assert.equal((await get(`/api/analytics/overview?from=2016-12-31T23:59:60Z&to=2017-01-01T00:00:00Z`)).status, 200, 'a leap second is a date-time');
  });
});

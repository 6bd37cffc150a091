// Each metric of a known simulated run checked against counts computed independently:
// (a) what the simulator did (its own tally of answered requests) = the raw events of its shoppers;
// (b) every aggregate of the run's hours = the same figure recomputed from the raw events with plain SQL, read in
//     one snapshot (REPEATABLE READ), so other traffic in those hours counts the same on both sides.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { simulate, type Tally } from '../../scripts/simulate.ts';
import { activityBase, db } from './helpers.ts';
import { seedCatalog } from '../../test/support.ts';

const BASE = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const HOUR = 3_600_000;
const pool = db();
let tally: Tally;
let window: { from: Date; to: Date };

/** Raw event counts of the run's shoppers (their anonymous ids, or their user ids for purchases). */
async function runCounts(t: Tally) {
  const { rows } = await pool.query<{ type: string; n: number; units: number; no_results: number; text: number; value: string }>(
    `SELECT type, count(*)::int AS n, coalesce(sum(quantity), 0)::int AS units, count(*) FILTER (WHERE results = 0 AND query <> '')::int AS no_results,
       count(*) FILTER (WHERE query <> '')::int AS text, coalesce(sum(value), 0)::numeric(16,2)::text AS value
     FROM events WHERE (anonymous_id LIKE $1 AND anonymous_id <> $2) OR (type IN ('purchase', 'order') AND user_id = ANY($3::uuid[])) GROUP BY type`,
    [`${t.anonymousIdPrefix}%`, `${t.anonymousIdPrefix}setup`, t.userIds],
  );
  return Object.fromEntries(rows.map((r) => [r.type, r]));
}

before(async () => {
  seedCatalog();
  tally = await simulate({ users: 8, minutes: 0.25, baseUrl: BASE, activityUrl: await activityBase(), seed: 20261202, thinkMs: [50, 200] });
  window = { from: new Date(Math.floor(Date.parse(tally.startedAt) / HOUR) * HOUR), to: new Date(Math.ceil((Date.parse(tally.endedAt) + 1) / HOUR) * HOUR) };
});
after(async () => {
  await pool.end();
});

describe('a simulated run, counted', () => {
  it('(a) the raw events of the run are exactly what the simulator did', async () => {
    assert.ok(tally.searches > 10 && tally.productViews > 10 && tally.clicks > 0 && tally.orders > 0, JSON.stringify(tally));
    assert.equal(tally.failures, 0);
    // Every figure, not a few: each service sends its events in batches of its own (search, cart, facade, loms), so
    // one kind can be complete while another is still on its way. On a timeout the assertions below name the figure.
    const complete = (c: Awaited<ReturnType<typeof runCounts>>) => c.search?.n === tally.searches + tally.browses && c.search_click?.n === tally.clicks &&
      c.product_view?.n === tally.productViews && (c.page_view?.n ?? 0) === tally.pageViews && (c.add_to_cart?.units ?? 0) === tally.addToCartUnits &&
      (c.remove_from_cart?.units ?? 0) === tally.removeFromCartUnits && c.purchase?.units === tally.purchaseUnits && c.order?.n === tally.orders;
    let counts = await runCounts(tally);
    const deadline = Date.now() + 60_000;
    while (!complete(counts) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      counts = await runCounts(tally);
    }
    assert.equal(counts.search?.text, tally.searches, 'text searches');
    assert.equal(counts.search?.n, tally.searches + tally.browses, 'searches + browsing');
    assert.equal(counts.search?.no_results, tally.noResultSearches);
    assert.equal(counts.search_click?.n, tally.clicks);
    assert.equal(counts.product_view?.n, tally.productViews);
    assert.equal(counts.page_view?.n ?? 0, tally.pageViews);
    assert.equal(counts.add_to_cart?.units ?? 0, tally.addToCartUnits);
    assert.equal(counts.remove_from_cart?.units ?? 0, tally.removeFromCartUnits);
    assert.equal(counts.purchase?.units, tally.purchaseUnits);
    assert.equal(counts.order?.n, tally.orders);
    assert.equal(counts.order?.value, tally.revenue);
    assert.equal(counts.purchase?.value, tally.revenue, 'the purchases add up to the orders');
  });

  it('(b) every aggregate of the run\'s hours equals its recomputation from the raw events', async () => {
    const client: pg.PoolClient = await pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const p = [window.from, window.to];
      const same = async (what: string, aggregate: string, raw: string) => {
        const [a, r] = await Promise.all([client.query(aggregate, p), client.query(raw, p)]);
        assert.deepEqual(a.rows, r.rows, what);
        return a.rows.length;
      };
      const items = await same('item_hourly',
        `SELECT hour, item_id, views, carts, cart_removals, purchases, revenue::numeric(16,2)::text AS revenue FROM item_hourly
         WHERE hour >= $1 AND hour < $2 ORDER BY hour, item_id`,
        `SELECT date_trunc('hour', occurred_at, 'UTC') AS hour, item_id,
           count(*) FILTER (WHERE type = 'product_view')::int AS views, coalesce(sum(quantity) FILTER (WHERE type = 'add_to_cart'), 0)::int AS carts,
           coalesce(sum(quantity) FILTER (WHERE type = 'remove_from_cart'), 0)::int AS cart_removals, coalesce(sum(quantity) FILTER (WHERE type = 'purchase'), 0)::int AS purchases,
           coalesce(sum(value) FILTER (WHERE type = 'purchase'), 0)::numeric(16,2)::text AS revenue
         FROM events WHERE occurred_at >= $1 AND occurred_at < $2 AND type IN ('product_view', 'add_to_cart', 'remove_from_cart', 'purchase')
         GROUP BY 1, 2 ORDER BY 1, 2`);
      assert.ok(items > 0);
      await same('query_hourly',
        `SELECT hour, query, searches, no_results, clicked_searches, clicks, position_sum, converted_searches FROM query_hourly
         WHERE hour >= $1 AND hour < $2 ORDER BY hour, query`,
        `WITH s AS (SELECT query_id, query, results, user_id, anonymous_id, occurred_at FROM events WHERE type = 'search' AND occurred_at >= $1 AND occurred_at < $2),
         c AS (SELECT s.query_id, count(k.*)::int AS clicks, coalesce(sum(k.position), 0)::int AS positions FROM s JOIN events k ON k.type = 'search_click' AND k.query_id = s.query_id GROUP BY 1),
         v AS (SELECT DISTINCT s.query_id FROM s
               JOIN events k ON k.type = 'search_click' AND k.query_id = s.query_id
               JOIN events b ON b.type = 'purchase' AND b.item_id = k.item_id AND k.occurred_at <= b.occurred_at AND s.occurred_at <= b.occurred_at AND s.occurred_at > b.occurred_at - interval '24 hours'
                 AND (s.user_id = b.user_id OR s.anonymous_id IN (SELECT anonymous_id FROM events WHERE user_id = b.user_id AND anonymous_id IS NOT NULL)))
         SELECT date_trunc('hour', s.occurred_at, 'UTC') AS hour, s.query, count(*)::int AS searches, count(*) FILTER (WHERE s.results = 0)::int AS no_results,
           count(c.query_id) FILTER (WHERE c.clicks > 0)::int AS clicked_searches, coalesce(sum(c.clicks), 0)::int AS clicks, coalesce(sum(c.positions), 0)::int AS position_sum,
           count(v.query_id)::int AS converted_searches
         FROM s LEFT JOIN c ON c.query_id = s.query_id LEFT JOIN v ON v.query_id = s.query_id GROUP BY 1, 2 ORDER BY 1, 2`);
      await same('site_hourly',
        `SELECT hour, registrations, orders, revenue::numeric(16,2)::text AS revenue, page_views, product_views, searches, events FROM site_hourly
         WHERE hour >= $1 AND hour < $2 ORDER BY hour`,
        `SELECT date_trunc('hour', occurred_at, 'UTC') AS hour, count(*) FILTER (WHERE type = 'registration')::int AS registrations,
           count(*) FILTER (WHERE type = 'order')::int AS orders, coalesce(sum(value) FILTER (WHERE type = 'order'), 0)::numeric(16,2)::text AS revenue,
           count(*) FILTER (WHERE type = 'page_view')::int AS page_views, count(*) FILTER (WHERE type = 'product_view')::int AS product_views,
           count(*) FILTER (WHERE type = 'search')::int AS searches, count(*) FILTER (WHERE type NOT IN ('registration', 'order'))::int AS events
         FROM events WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY 1 ORDER BY 1`);
      await same('active_hourly',
        `SELECT hour, count(*)::int AS actors FROM active_hourly WHERE hour >= $1 AND hour < $2 GROUP BY 1 ORDER BY 1`,
        `SELECT date_trunc('hour', occurred_at, 'UTC') AS hour, count(DISTINCT CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id ELSE 'a:' || anonymous_id END)::int AS actors
         FROM events WHERE occurred_at >= $1 AND occurred_at < $2 AND type NOT IN ('registration', 'order') GROUP BY 1 ORDER BY 1`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  });
});

// Reads of the aggregates for the analytics API. A period [from, to) takes the hourly buckets whose start lies in
// it. Search figures are of text searches (query <> ''); browsing without a query is not a search here.
import type { Pool } from 'pg';

export interface Period { from: Date; to: Date }

export interface Totals {
  productViews: number; pageViews: number; addToCarts: number; purchases: number; orders: number; revenue: string;
  registrations: number; activeShoppers: number; activeUsers: number;
  searches: number; noResultSearches: number; clickedSearches: number; clicks: number; convertedSearches: number;
}

export interface ItemFigures { itemId: string; name: string | null; category: string | null; sellerId: string | null; views: number; carts: number; purchases: number; revenue: string }
export interface QueryFigures { query: string; searches: number; noResults: number; clickedSearches: number; clicks: number; positionSum: number; convertedSearches: number }
export interface SalesPoint { start: string; orders: number; revenue: string }
export interface UsersPoint { start: string; registrations: number; activeShoppers: number; activeUsers: number }

export const METRIC_COLUMNS = { views: 'views', carts: 'carts', purchases: 'purchases', revenue: 'revenue' } as const;
export type ProductMetric = keyof typeof METRIC_COLUMNS;
export type QueryKind = 'top' | 'no-results' | 'low-ctr';
export type Interval = 'day' | 'week';

export class ReportRepository {
  readonly #pool: Pool;
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async totals({ from, to }: Period): Promise<Totals> {
    const { rows } = await this.#pool.query(
      `SELECT
         (SELECT row_to_json(s) FROM (SELECT coalesce(sum(product_views), 0)::int AS "productViews", coalesce(sum(page_views), 0)::int AS "pageViews",
            coalesce(sum(orders), 0)::int AS orders, coalesce(sum(revenue), 0)::numeric(16,2)::text AS revenue, coalesce(sum(registrations), 0)::int AS registrations
          FROM site_hourly WHERE hour >= $1 AND hour < $2) s) AS site,
         (SELECT row_to_json(i) FROM (SELECT coalesce(sum(carts), 0)::int AS "addToCarts", coalesce(sum(purchases), 0)::int AS purchases
          FROM item_hourly WHERE hour >= $1 AND hour < $2) i) AS items,
         (SELECT row_to_json(q) FROM (SELECT coalesce(sum(searches), 0)::int AS searches, coalesce(sum(no_results), 0)::int AS "noResultSearches",
            coalesce(sum(clicked_searches), 0)::int AS "clickedSearches", coalesce(sum(clicks), 0)::int AS clicks, coalesce(sum(converted_searches), 0)::int AS "convertedSearches"
          FROM query_hourly WHERE hour >= $1 AND hour < $2 AND query <> '') q) AS queries,
         (SELECT row_to_json(a) FROM (SELECT count(DISTINCT actor)::int AS "activeShoppers", count(DISTINCT actor) FILTER (WHERE actor LIKE 'u:%')::int AS "activeUsers"
          FROM active_hourly WHERE hour >= $1 AND hour < $2) a) AS active`,
      [from, to],
    );
    const r = rows[0] as Record<string, Record<string, unknown>>;
    return { ...r.site, ...r.items, ...r.queries, ...r.active } as unknown as Totals;
  }

  async topItems(period: Period, metric: ProductMetric, options: { category?: string; sellerId?: string; limit: number; anyActivity?: boolean }): Promise<ItemFigures[]> {
    const params: unknown[] = [period.from, period.to, options.limit];
    let filter = '';
    if (options.category) {
      params.push(options.category);
      filter += ` AND i.category = $${params.length}`;
    }
    if (options.sellerId) {
      params.push(options.sellerId);
      filter += ` AND i.seller_id = $${params.length}`;
    }
    const { rows } = await this.#pool.query<ItemFigures>(
      `SELECT h.item_id AS "itemId", i.name, i.category, i.seller_id AS "sellerId", sum(h.views)::int AS views, sum(h.carts)::int AS carts,
         sum(h.purchases)::int AS purchases, sum(h.revenue)::numeric(16,2)::text AS revenue
       FROM item_hourly h ${options.category || options.sellerId ? 'JOIN' : 'LEFT JOIN'} items i ON i.item_id = h.item_id
       WHERE h.hour >= $1 AND h.hour < $2${filter}
       GROUP BY h.item_id, i.name, i.category, i.seller_id
       HAVING ${options.anyActivity ? 'sum(h.views) + sum(h.carts) + sum(h.purchases) + sum(h.cart_removals)' : `sum(h.${METRIC_COLUMNS[metric]})`} > 0
       ORDER BY sum(h.${METRIC_COLUMNS[metric]}) DESC, h.item_id LIMIT $3`,
      params,
    );
    return rows;
  }

  /** One seller's figures over all their items (also the ones without activity: zeros). */
  async sellerTotals(period: Period, sellerId: string): Promise<{ views: number; carts: number; purchases: number; revenue: string }> {
    const { rows } = await this.#pool.query(
      `SELECT coalesce(sum(h.views), 0)::int AS views, coalesce(sum(h.carts), 0)::int AS carts, coalesce(sum(h.purchases), 0)::int AS purchases,
         coalesce(sum(h.revenue), 0)::numeric(16,2)::text AS revenue
       FROM item_hourly h JOIN items i ON i.item_id = h.item_id WHERE i.seller_id = $3 AND h.hour >= $1 AND h.hour < $2`,
      [period.from, period.to, sellerId],
    );
    return rows[0];
  }

  async queries(period: Period, kind: QueryKind, options: { limit: number; minSearches: number }): Promise<QueryFigures[]> {
    const having = kind === 'no-results' ? 'HAVING sum(no_results) > 0'
      : kind === 'low-ctr' ? 'HAVING sum(searches) - sum(no_results) >= $4' : '';
    const order = kind === 'no-results' ? 'sum(no_results) DESC, sum(searches) DESC'
      : kind === 'low-ctr' ? 'sum(clicked_searches)::float / (sum(searches) - sum(no_results)) ASC, sum(searches) DESC' : 'sum(searches) DESC';
    const { rows } = await this.#pool.query<QueryFigures>(
      `SELECT query, sum(searches)::int AS searches, sum(no_results)::int AS "noResults", sum(clicked_searches)::int AS "clickedSearches",
         sum(clicks)::int AS clicks, sum(position_sum)::int AS "positionSum", sum(converted_searches)::int AS "convertedSearches"
       FROM query_hourly WHERE hour >= $1 AND hour < $2 AND query <> ''
       GROUP BY query ${having} ORDER BY ${order}, query LIMIT $3`,
      kind === 'low-ctr' ? [period.from, period.to, options.limit, options.minSearches] : [period.from, period.to, options.limit],
    );
    return rows;
  }

  /**
   * Popular queries for search's suggestions: each (shopper, day) a query was searched counts once (a client
   * repeating it adds nothing), halved every `halfLifeDays`, over the last `windowDays`; only queries at least
   * `minShoppers` different shoppers searched and that found something.
   */
  async popularQueries(options: { limit: number; minShoppers: number; halfLifeDays: number; windowDays: number }): Promise<{ query: string; score: number; shoppers: number }[]> {
    const { rows } = await this.#pool.query<{ query: string; score: number; shoppers: number }>(
      `SELECT q.query, round(sum(power(0.5, (current_date - q.day)::float / $3))::numeric, 4)::float AS score, count(DISTINCT q.actor)::int AS shoppers
       FROM query_actor_daily q WHERE q.day > current_date - $4::int
       GROUP BY q.query
       HAVING count(DISTINCT q.actor) >= $2
         AND EXISTS (SELECT 1 FROM query_hourly h WHERE h.query = q.query AND h.hour > now() - make_interval(days => $4::int) AND h.searches > h.no_results)
       ORDER BY score DESC, q.query LIMIT $1`,
      [options.limit, options.minShoppers, options.halfLifeDays, options.windowDays],
    );
    return rows;
  }

  /** Orders and revenue per UTC day or ISO week (Monday) of the period, empty buckets as zeros. */
  async sales({ from, to }: Period, interval: Interval): Promise<SalesPoint[]> {
    const { rows } = await this.#pool.query<SalesPoint>(
      `WITH buckets AS (
         SELECT generate_series(date_trunc($3, $1::timestamptz, 'UTC'), $2::timestamptz - interval '1 microsecond', ('1 ' || $3)::interval) AS start)
       SELECT to_char(b.start AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS start, coalesce(sum(s.orders), 0)::int AS orders, coalesce(sum(s.revenue), 0)::numeric(16,2)::text AS revenue
       FROM buckets b LEFT JOIN site_hourly s ON date_trunc($3, s.hour, 'UTC') = b.start AND s.hour >= $1 AND s.hour < $2
       GROUP BY b.start ORDER BY b.start`,
      [from, to, interval],
    );
    return rows;
  }

  async users({ from, to }: Period, interval: Interval): Promise<UsersPoint[]> {
    const { rows } = await this.#pool.query<UsersPoint>(
      `WITH buckets AS (
         SELECT generate_series(date_trunc($3, $1::timestamptz, 'UTC'), $2::timestamptz - interval '1 microsecond', ('1 ' || $3)::interval) AS start),
       reg AS (SELECT date_trunc($3, hour, 'UTC') AS start, sum(registrations)::int AS n FROM site_hourly WHERE hour >= $1 AND hour < $2 GROUP BY 1),
       act AS (SELECT date_trunc($3, hour, 'UTC') AS start, count(DISTINCT actor)::int AS shoppers, count(DISTINCT actor) FILTER (WHERE actor LIKE 'u:%')::int AS users
               FROM active_hourly WHERE hour >= $1 AND hour < $2 GROUP BY 1)
       SELECT to_char(b.start AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS start, coalesce(reg.n, 0) AS registrations, coalesce(act.shoppers, 0) AS "activeShoppers", coalesce(act.users, 0) AS "activeUsers"
       FROM buckets b LEFT JOIN reg ON reg.start = b.start LEFT JOIN act ON act.start = b.start ORDER BY b.start`,
      [from, to, interval],
    );
    return rows;
  }
}

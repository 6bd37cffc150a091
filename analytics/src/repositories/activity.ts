// The analytics database (schema: prisma/analytics/schema.prisma). Every counted event is a row of `events`
// keyed by its id; an aggregate is only ever changed in the transaction that inserted the event's row, so a
// redelivered event (insert refused) changes nothing: exactly-once effect on top of at-least-once delivery.
import { createHash } from 'node:crypto';
import { USER_ACTIVITY_TOPIC, activityKey, encodeActivityEvent, type ActivityEvent, type ItemEvent, type OrderEvent, type UserEvent } from '@shop/contracts';
import { inTransaction, outboxHeaders, type OutboxWriter } from '@shop/kit';
import type { Pool, PoolClient } from 'pg';
import { Deltas, fromCents, hourOf, splitKey, toCents } from '../services/deltas.ts';

/** A name-based UUID (v5 layout over SHA-1): the same name always gives the same id (derived events dedup too). */
export function uuidFrom(name: string): string {
  const h = createHash('sha1').update('shop-analytics:').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The purchase activity events of a paid order: one per line, ids derived from the order event's id and the line. */
export function purchasesOf(event: OrderEvent): ActivityEvent[] {
  return event.data.lines.map((line, i) => ({
    eventId: uuidFrom(`${event.id}:${i}`), type: 'purchase', occurredAt: event.occurredAt,
    anonymousId: `user:${event.data.customerId}`, userId: event.data.customerId, itemId: line.itemId, quantity: line.quantity,
    value: fromCents(toCents(line.price) * line.quantity), currency: event.data.currency, orderUid: event.data.orderUid,
  }));
}

/** An activity event as an outbox row for `user-activity` (contract-checked; keyed by user, else anonymous id). */
const outboxMessage = (e: ActivityEvent, rowId: string) => ({
  eventId: rowId, topic: USER_ACTIVITY_TOPIC, key: activityKey(e), payload: encodeActivityEvent(e).toString('utf8'), headers: outboxHeaders(),
});

const row = (e: ActivityEvent) => ({
  event_id: e.eventId, type: e.type, occurred_at: e.occurredAt, anonymous_id: e.anonymousId, user_id: e.userId ?? null,
  session_id: e.sessionId ?? null, item_id: e.itemId ?? null, query_id: e.queryId ?? null, position: e.position ?? null,
  query: e.query ?? null, results: e.results ?? null, quantity: e.quantity ?? null, value: e.value ?? null,
  currency: e.currency ?? null, order_uid: e.orderUid ?? null, path: e.path ?? null,
});

const EVENT_COLUMNS = `event_id uuid, type text, occurred_at timestamptz, anonymous_id text, user_id uuid, session_id text, item_id uuid,
  query_id uuid, position int, query text, results int, quantity int, value numeric, currency text, order_uid text, path text`;
const EVENT_NAMES = 'event_id, type, occurred_at, anonymous_id, user_id, session_id, item_id, query_id, position, query, results, quantity, value, currency, order_uid, path';

export class ActivityRepository {
  readonly #pool: Pool;
  readonly #outbox: OutboxWriter;
  readonly #conversionWindowHours: number;

  constructor(pool: Pool, outbox: OutboxWriter, options: { conversionWindowHours: number }) {
    this.#pool = pool;
    this.#outbox = outbox;
    this.#conversionWindowHours = options.conversionWindowHours;
  }

  /** Collected events into the outbox (one statement: all or nothing), relayed to `user-activity`. */
  async collect(events: ActivityEvent[]): Promise<void> {
    // The outbox row has its own id: a client retrying a batch adds rows, the consumer counts each event id once.
    await this.#outbox.addAll(this.#pool, events.map((e) => outboxMessage(e, crypto.randomUUID())));
  }

  /** Counts the events not counted before (one transaction); answers the ones that were new. */
  async apply(events: ActivityEvent[]): Promise<ActivityEvent[]> {
    if (events.length === 0) return [];
    return inTransaction(this.#pool, async (client) => {
      // One row per id (a batch may hold a redelivered copy), in id order (a fixed lock order between consumers).
      const unique = new Map(events.map((e) => [e.eventId.toLowerCase(), e]));
      const sorted = [...unique.values()].sort((a, b) => (a.eventId.toLowerCase() < b.eventId.toLowerCase() ? -1 : 1));
      const { rows: inserted } = await client.query<{ event_id: string }>(
        `INSERT INTO events (${EVENT_NAMES}) SELECT ${EVENT_NAMES} FROM jsonb_to_recordset($1::jsonb) AS x(${EVENT_COLUMNS})
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [JSON.stringify(sorted.map(row))],
      );
      const newIds = new Set(inserted.map((r) => r.event_id));
      const fresh = sorted.filter((e) => newIds.has(e.eventId.toLowerCase()));
      if (fresh.length === 0) return [];
      const deltas = new Deltas();
      for (const e of fresh) deltas.add(e);
      await this.#searches(client, fresh, deltas, [...newIds]);
      await this.#clicks(client, fresh, deltas);
      await this.#conversions(client, fresh, deltas);
      await this.#lateConversions(client, fresh, deltas);
      await this.#write(client, deltas);
      return fresh;
    });
  }

  /** New searches: their row, and clicks that came before them (another producer's event may overtake). */
  async #searches(client: PoolClient, fresh: ActivityEvent[], deltas: Deltas, newIds: string[]): Promise<void> {
    const searches = fresh.filter((e) => e.type === 'search');
    if (searches.length === 0) return;
    const { rows } = await client.query<{ query_id: string; query: string; occurred_at: Date }>(
      `INSERT INTO searches (query_id, query, occurred_at, results, user_id, anonymous_id)
       SELECT query_id, query, occurred_at, results, user_id, anonymous_id FROM jsonb_to_recordset($1::jsonb)
         AS x(query_id uuid, query text, occurred_at timestamptz, results int, user_id uuid, anonymous_id text)
       ORDER BY query_id ON CONFLICT (query_id) DO NOTHING RETURNING query_id, query, occurred_at`,
      [JSON.stringify(searches.map((e) => ({ query_id: e.queryId, query: e.query, occurred_at: e.occurredAt, results: e.results, user_id: e.userId ?? null, anonymous_id: e.anonymousId })))],
    );
    if (rows.length === 0) return;
    const { rows: early } = await client.query<{ query_id: string; n: number; positions: number }>(
      `SELECT query_id, count(*)::int AS n, coalesce(sum(position), 0)::int AS positions FROM events
       WHERE type = 'search_click' AND query_id = ANY($1::uuid[]) AND NOT (event_id = ANY($2::uuid[])) GROUP BY query_id`,
      [rows.map((r) => r.query_id), newIds],
    );
    const byId = new Map(rows.map((r) => [r.query_id, r]));
    for (const c of early) {
      const s = byId.get(c.query_id)!;
      await client.query('UPDATE searches SET clicks = $2 WHERE query_id = $1', [c.query_id, c.n]);
      const d = deltas.query(hourOf(s.occurred_at), s.query);
      d.clicks += c.n;
      d.positionSum += c.positions;
      d.clickedSearches++;
    }
  }

  /** New clicks on known searches (a click on a search not yet seen is counted when the search comes). */
  async #clicks(client: PoolClient, fresh: ActivityEvent[], deltas: Deltas): Promise<void> {
    const byQuery = new Map<string, { n: number; positions: number }>();
    for (const e of fresh) {
      if (e.type !== 'search_click') continue;
      const id = e.queryId!.toLowerCase();
      const g = byQuery.get(id) ?? { n: 0, positions: 0 };
      g.n++;
      g.positions += e.position ?? 0;
      byQuery.set(id, g);
    }
    if (byQuery.size === 0) return;
    const ids = [...byQuery.keys()].sort();
    const { rows } = await client.query<{ query_id: string; query: string; occurred_at: Date; clicks: number }>(
      'SELECT query_id, query, occurred_at, clicks FROM searches WHERE query_id = ANY($1::uuid[]) ORDER BY query_id FOR UPDATE', [ids],
    );
    for (const s of rows) {
      const g = byQuery.get(s.query_id)!;
      await client.query('UPDATE searches SET clicks = clicks + $2 WHERE query_id = $1', [s.query_id, g.n]);
      const d = deltas.query(hourOf(s.occurred_at), s.query);
      d.clicks += g.n;
      d.positionSum += g.positions;
      if (s.clicks === 0) d.clickedSearches++;
    }
  }

  /**
   * A purchase converts the same shopper's searches (by user id, or an anonymous id they used while signed in)
   * from the window before it whose results were clicked on the bought item; each search converts once.
   */
  async #conversions(client: PoolClient, fresh: ActivityEvent[], deltas: Deltas): Promise<void> {
    for (const p of fresh) {
      if (p.type !== 'purchase' || !p.userId) continue;
      const { rows } = await client.query<{ query: string; occurred_at: Date }>(
        `UPDATE searches s SET converted_at = $3 WHERE s.query_id IN (
           SELECT s2.query_id FROM searches s2
           WHERE s2.converted_at IS NULL AND s2.occurred_at <= $3 AND s2.occurred_at > $3::timestamptz - make_interval(hours => $4)
             AND (s2.user_id = $1 OR s2.anonymous_id IN (SELECT DISTINCT anonymous_id FROM events WHERE user_id = $1 AND anonymous_id IS NOT NULL))
             AND EXISTS (SELECT 1 FROM events c WHERE c.type = 'search_click' AND c.query_id = s2.query_id AND c.item_id = $2 AND c.occurred_at <= $3)
           ORDER BY s2.query_id FOR UPDATE)
         RETURNING s.query, s.occurred_at`,
        [p.userId, p.itemId, p.occurredAt, this.#conversionWindowHours],
      );
      for (const s of rows) deltas.query(hourOf(s.occurred_at), s.query).convertedSearches++;
    }
  }

  /**
   * The same conversion when the purchase came first: loms's purchases and the shop's searches and clicks reach
   * `user-activity` from different producers, so a purchase can be counted before the search or the click it
   * converts. A new search or a new click looks for such an earlier-counted purchase (same rule as above); each
   * search still converts once.
   */
  async #lateConversions(client: PoolClient, fresh: ActivityEvent[], deltas: Deltas): Promise<void> {
    const touched = [...new Set(fresh.filter((e) => e.type === 'search' || e.type === 'search_click').map((e) => e.queryId!.toLowerCase()))].sort();
    if (touched.length === 0) return;
    // Row locks in query id order first (the order every other path takes them in), then the update.
    const { rows: open } = await client.query<{ query_id: string }>(
      'SELECT query_id FROM searches WHERE query_id = ANY($1::uuid[]) AND converted_at IS NULL ORDER BY query_id FOR UPDATE', [touched],
    );
    if (open.length === 0) return;
    const { rows } = await client.query<{ query: string; occurred_at: Date }>(
      `UPDATE searches s SET converted_at = m.bought_at FROM (
         SELECT s2.query_id, min(b.occurred_at) AS bought_at FROM searches s2
         JOIN events k ON k.type = 'search_click' AND k.query_id = s2.query_id
         JOIN events b ON b.type = 'purchase' AND b.user_id IS NOT NULL AND b.item_id = k.item_id AND k.occurred_at <= b.occurred_at
           AND s2.occurred_at <= b.occurred_at AND s2.occurred_at > b.occurred_at - make_interval(hours => $2)
           AND (s2.user_id = b.user_id OR s2.anonymous_id IN (SELECT DISTINCT a.anonymous_id FROM events a WHERE a.user_id = b.user_id AND a.anonymous_id IS NOT NULL))
         WHERE s2.query_id = ANY($1::uuid[]) AND s2.converted_at IS NULL
         GROUP BY s2.query_id) m
       WHERE s.query_id = m.query_id AND s.converted_at IS NULL
       RETURNING s.query, s.occurred_at`,
      [open.map((r) => r.query_id), this.#conversionWindowHours],
    );
    for (const s of rows) deltas.query(hourOf(s.occurred_at), s.query).convertedSearches++;
  }

  async #write(client: PoolClient, deltas: Deltas): Promise<void> {
    const items = [...deltas.items].sort(([a], [b]) => (a < b ? -1 : 1));
    if (items.length) {
      await client.query(
        `INSERT INTO item_hourly (hour, item_id, views, carts, cart_removals, purchases, revenue)
         SELECT * FROM unnest($1::timestamptz[], $2::uuid[], $3::int[], $4::int[], $5::int[], $6::int[], $7::numeric[])
         ON CONFLICT (hour, item_id) DO UPDATE SET views = item_hourly.views + EXCLUDED.views, carts = item_hourly.carts + EXCLUDED.carts,
           cart_removals = item_hourly.cart_removals + EXCLUDED.cart_removals, purchases = item_hourly.purchases + EXCLUDED.purchases,
           revenue = item_hourly.revenue + EXCLUDED.revenue`,
        [items.map(([k]) => splitKey(k, 2)[0]), items.map(([k]) => splitKey(k, 2)[1]), items.map(([, d]) => d.views), items.map(([, d]) => d.carts),
          items.map(([, d]) => d.cartRemovals), items.map(([, d]) => d.purchases), items.map(([, d]) => fromCents(d.revenueCents))],
      );
    }
    const queries = [...deltas.queries].sort(([a], [b]) => (a < b ? -1 : 1));
    if (queries.length) {
      await client.query(
        `INSERT INTO query_hourly (hour, query, searches, no_results, clicked_searches, clicks, position_sum, converted_searches)
         SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[])
         ON CONFLICT (hour, query) DO UPDATE SET searches = query_hourly.searches + EXCLUDED.searches, no_results = query_hourly.no_results + EXCLUDED.no_results,
           clicked_searches = query_hourly.clicked_searches + EXCLUDED.clicked_searches, clicks = query_hourly.clicks + EXCLUDED.clicks,
           position_sum = query_hourly.position_sum + EXCLUDED.position_sum, converted_searches = query_hourly.converted_searches + EXCLUDED.converted_searches`,
        [queries.map(([k]) => splitKey(k, 2)[0]), queries.map(([k]) => splitKey(k, 2)[1]), queries.map(([, d]) => d.searches), queries.map(([, d]) => d.noResults),
          queries.map(([, d]) => d.clickedSearches), queries.map(([, d]) => d.clicks), queries.map(([, d]) => d.positionSum), queries.map(([, d]) => d.convertedSearches)],
      );
    }
    await this.#writeSite(client, deltas);
    const active = [...deltas.active].sort();
    if (active.length) {
      await client.query(
        'INSERT INTO active_hourly (hour, actor) SELECT * FROM unnest($1::timestamptz[], $2::text[]) ON CONFLICT DO NOTHING',
        [active.map((k) => splitKey(k, 2)[0]), active.map((k) => splitKey(k, 2)[1])],
      );
    }
    const qa = [...deltas.queryActors].sort().map((k) => splitKey(k, 3));
    if (qa.length) {
      await client.query(
        'INSERT INTO query_actor_daily (day, query, actor) SELECT * FROM unnest($1::date[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING',
        [qa.map((k) => k[0]), qa.map((k) => k[1]), qa.map((k) => k[2])],
      );
    }
  }

  async #writeSite(client: PoolClient, deltas: Deltas): Promise<void> {
    const site = [...deltas.site].sort(([a], [b]) => (a < b ? -1 : 1));
    if (site.length === 0) return;
    await client.query(
      `INSERT INTO site_hourly (hour, registrations, orders, revenue, page_views, product_views, searches, events)
       SELECT * FROM unnest($1::timestamptz[], $2::int[], $3::int[], $4::numeric[], $5::int[], $6::int[], $7::int[], $8::int[])
       ON CONFLICT (hour) DO UPDATE SET registrations = site_hourly.registrations + EXCLUDED.registrations, orders = site_hourly.orders + EXCLUDED.orders,
         revenue = site_hourly.revenue + EXCLUDED.revenue, page_views = site_hourly.page_views + EXCLUDED.page_views,
         product_views = site_hourly.product_views + EXCLUDED.product_views, searches = site_hourly.searches + EXCLUDED.searches,
         events = site_hourly.events + EXCLUDED.events`,
      [site.map(([h]) => h), site.map(([, d]) => d.registrations), site.map(([, d]) => d.orders), site.map(([, d]) => fromCents(d.revenueCents)),
        site.map(([, d]) => d.pageViews), site.map(([, d]) => d.productViews), site.map(([, d]) => d.searches), site.map(([, d]) => d.events)],
    );
  }

  /**
   * A paid order: counted once (orders, revenue) and its purchases written to the outbox for `user-activity`
   * (ids derived from the order event, so a redelivered order event writes nothing twice).
   */
  async applyOrder(event: OrderEvent): Promise<boolean> {
    if (event.type !== 'order.paid') return false;
    return inTransaction(this.#pool, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO events (event_id, type, occurred_at, anonymous_id, user_id, value, currency, order_uid)
         VALUES ($1, 'order', $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
        [event.id, event.occurredAt, `user:${event.data.customerId}`, event.data.customerId, event.data.total, event.data.currency, event.data.orderUid],
      );
      if (rowCount !== 1) return false;
      const deltas = new Deltas();
      const site = deltas.siteAt(hourOf(event.occurredAt));
      site.orders++;
      site.revenueCents += toCents(event.data.total);
      await this.#writeSite(client, deltas);
      await this.#outbox.addAll(client, purchasesOf(event).map((p) => outboxMessage(p, p.eventId)));
      return true;
    });
  }

  /** A new account, counted once in its hour. */
  async applyRegistration(event: UserEvent): Promise<boolean> {
    if (event.type !== 'user.registered') return false;
    return inTransaction(this.#pool, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO events (event_id, type, occurred_at, user_id) VALUES ($1, 'registration', $2, $3) ON CONFLICT (event_id) DO NOTHING`,
        [event.id, event.data.createdAt, event.data.id],
      );
      if (rowCount !== 1) return false;
      const deltas = new Deltas();
      deltas.siteAt(hourOf(event.data.createdAt)).registrations++;
      await this.#writeSite(client, deltas);
      return true;
    });
  }

  /**
   * Retention of what only dedup and recomputation need: raw events received and searches made more than `days`
   * ago, popularity rows older than `popularDays` (deleted in chunks: no long locks). The aggregates stay.
   */
  async deleteOld(days: number, popularDays: number): Promise<number> {
    let deleted = 0;
    const chunks = [
      ['DELETE FROM events WHERE event_id IN (SELECT event_id FROM events WHERE received_at < now() - make_interval(days => $1) LIMIT 5000)', days],
      ['DELETE FROM searches WHERE query_id IN (SELECT query_id FROM searches WHERE occurred_at < now() - make_interval(days => $1) LIMIT 5000)', days],
      ['DELETE FROM query_actor_daily WHERE (day, query, actor) IN (SELECT day, query, actor FROM query_actor_daily WHERE day < current_date - $1::int LIMIT 5000)', popularDays],
    ] as const;
    for (const [sql, keep] of chunks) {
      for (;;) {
        const { rowCount } = await this.#pool.query(sql, [keep]);
        deleted += rowCount ?? 0;
        if ((rowCount ?? 0) < 5000) break;
      }
    }
    return deleted;
  }

  /** The item dimension: name, category, seller at the highest version seen. */
  async upsertItem(event: ItemEvent): Promise<void> {
    const d = event.data;
    await this.#pool.query(
      `INSERT INTO items (item_id, seller_id, name, category, version, deleted) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (item_id) DO UPDATE SET seller_id = EXCLUDED.seller_id, name = EXCLUDED.name, category = EXCLUDED.category,
         version = EXCLUDED.version, deleted = EXCLUDED.deleted, updated_at = now() WHERE items.version < EXCLUDED.version`,
      [d.id, d.sellerId, d.name, d.category, event.version, event.type === 'item.deleted' || d.status === 'deleted'],
    );
  }
}

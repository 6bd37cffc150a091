// The model in PostgreSQL: the same increments as core/model.ts, one consumed event at a time, inside the
// transaction of the event's batch (the seen table makes a redelivered event or order count nothing).
import type { ItemSnapshot } from '@shop/contracts';
import { inTransaction } from '@shop/kit';
import type pg from 'pg';
import type { ModelEvent } from '../core/model.ts';
import { KIND_WEIGHT, decayedWeight, type HistoryEntry, type InteractionKind, type Neighbour } from '../core/rank.ts';
import { isAvailable, mainImageKey } from '../core/events.ts';

type Db = pg.Pool | pg.PoolClient;

export interface ModelSettings { popularHalfLifeMs: number; sessionGapMs: number; sessionItems: number }

export interface ItemRow { id: string; article: number | null; name: string; brand: string; category: string; price: string; currency: string; imageKey: string | null; status: string; stock: number }

export type AlsoKind = 'view' | 'buy';

export class ModelRepository {
  readonly #pool: pg.Pool;
  readonly #settings: ModelSettings;
  constructor(pool: pg.Pool, settings: ModelSettings) {
    this.#pool = pool;
    this.#settings = settings;
  }

  /**
   * Applies activity (views, carts) and purchases in one transaction; answers the shoppers whose history changed
   * (their cached lists are dropped after the commit). `key` is what makes the event count once (event id, order uid).
   */
  async apply(events: { key: string; event: ModelEvent }[]): Promise<Set<string>> {
    if (!events.length) return new Set();
    return inTransaction(this.#pool, async (db) => {
      const actors = new Set<string>();
      const popularity = new Map<string, number>();
      for (const { key, event } of events) {
        const { rowCount } = await db.query('INSERT INTO seen (key) VALUES ($1) ON CONFLICT DO NOTHING', [key]);
        if (!rowCount) continue;
        const items = event.kind === 'purchase' ? event.items : [event.item];
        for (const item of items) popularity.set(item, (popularity.get(item) ?? 0) + decayedWeight(KIND_WEIGHT[event.kind], event.at, this.#settings.popularHalfLifeMs));
        // A visitor without identity: popularity only (no history, no session).
        if (!event.actor) continue;
        actors.add(event.actor);
        await db.query(
          `INSERT INTO interactions (actor, item_id, kind, at, session, order_uid)
           SELECT $1, item, $3, $4, $5, $6 FROM unnest($2::uuid[]) AS item`,
          [event.actor, items, event.kind, new Date(event.at), event.kind === 'purchase' ? null : event.session, event.kind === 'purchase' ? event.order : null],
        );
        if (event.kind === 'purchase') await this.#pairs(db, 'buy', items, items);
        else if (event.kind === 'view' && event.session) await this.#view(db, event.session, event.item, event.at);
      }
      // Popularity last and in id order: concurrent batches (activity, orders) lock its rows in one order.
      const ids = [...popularity.keys()].sort();
      if (ids.length) {
        await db.query(
          `INSERT INTO popularity (item_id, score) SELECT * FROM unnest($1::uuid[], $2::float8[])
           ON CONFLICT (item_id) DO UPDATE SET score = popularity.score + EXCLUDED.score`,
          [ids, ids.map((id) => popularity.get(id)!)],
        );
      }
      return actors;
    });
  }

  /** The session's earlier distinct items pair with a new one; a session idle longer than the gap starts again. */
  async #view(db: pg.PoolClient, session: string, item: string, at: number): Promise<void> {
    const { rows } = await db.query<{ items: string[] | null; last_at: Date }>('SELECT items, last_at FROM sessions WHERE key = $1 FOR UPDATE', [session]);
    const row = rows[0];
    const prior = row && Math.abs(at - row.last_at.getTime()) <= this.#settings.sessionGapMs ? (row.items ?? []) : [];
    if (prior.includes(item)) {
      await db.query('UPDATE sessions SET last_at = GREATEST(last_at, $2) WHERE key = $1', [session, new Date(at)]);
      return;
    }
    await this.#pairs(db, 'view', [item], prior);
    const next = [...prior, item].slice(-this.#settings.sessionItems);
    await db.query(
      `INSERT INTO sessions (key, items, last_at) VALUES ($1, $2::uuid[], $3)
       ON CONFLICT (key) DO UPDATE SET items = EXCLUDED.items, last_at = GREATEST(sessions.last_at, EXCLUDED.last_at)`,
      [session, next, new Date(at)],
    );
  }

  /** Each of `added` counts once more (a session or order holding it) and pairs with each of `others` both ways. */
  async #pairs(db: pg.PoolClient, kind: AlsoKind, added: string[], others: string[]): Promise<void> {
    const sorted = [...added].sort();
    await db.query(
      `INSERT INTO item_counts (item_id, kind, count) SELECT item, $2, 1 FROM unnest($1::uuid[]) AS item
       ON CONFLICT (item_id, kind) DO UPDATE SET count = item_counts.count + 1`,
      [sorted, kind],
    );
    const a: string[] = [];
    const b: string[] = [];
    for (const x of sorted) {
      for (const y of others) {
        if (x === y || (others === added && x > y)) continue;
        a.push(x, y);
        b.push(y, x);
      }
    }
    if (!a.length) return;
    const pairs = a.map((x, i) => [x, b[i]!] as const).sort((p, q) => (p[0] + p[1] < q[0] + q[1] ? -1 : 1));
    await db.query(
      `INSERT INTO co_counts (item_id, other_id, kind, count) SELECT x, y, $3, 1 FROM unnest($1::uuid[], $2::uuid[]) AS t(x, y)
       ON CONFLICT (item_id, kind, other_id) DO UPDATE SET count = co_counts.count + 1`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1]), kind],
    );
  }

  /**
   * Item events, newest version wins (an older or repeated event changes nothing). Answers the items whose
   * availability changed (they leave or enter lists: cached lists are dropped).
   */
  async upsertItems(snapshots: ItemSnapshot[]): Promise<string[]> {
    if (!snapshots.length) return [];
    return inTransaction(this.#pool, async (db) => {
      const changed: string[] = [];
      for (const s of snapshots) {
        const id = s.id.toLowerCase();
        const before = (await db.query<{ status: string; stock: number; version: number }>('SELECT status, stock, version FROM items WHERE id = $1 FOR UPDATE', [id])).rows[0];
        if (before && before.version >= s.version) continue;
        await db.query(
          `INSERT INTO items (id, article, name, brand, category, price, currency, image_key, status, stock, version, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
           ON CONFLICT (id) DO UPDATE SET article = EXCLUDED.article, name = EXCLUDED.name, brand = EXCLUDED.brand, category = EXCLUDED.category,
             price = EXCLUDED.price, currency = EXCLUDED.currency, image_key = EXCLUDED.image_key, status = EXCLUDED.status, stock = EXCLUDED.stock,
             version = EXCLUDED.version, updated_at = now()`,
          [id, s.article ?? null, s.name, s.brand, s.category, s.price, s.currency, mainImageKey(s), s.status, s.stock, s.version],
        );
        if (isAvailable(before) !== isAvailable(s)) changed.push(id);
      }
      return changed;
    });
  }

  async rows(ids: readonly string[], db: Db = this.#pool): Promise<Map<string, ItemRow>> {
    if (!ids.length) return new Map();
    const { rows } = await db.query<ItemRow>(
      `SELECT id, article, name, brand, category, price, currency, image_key AS "imageKey", status, stock FROM items WHERE id = ANY($1::uuid[])`,
      [[...new Set(ids)]],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The most popular available items (overall or of a category), best first; then the newest when few were ever seen. */
  async popular(category: string | undefined, limit: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(
      `(SELECT p.item_id AS id FROM popularity p JOIN items i ON i.id = p.item_id
        WHERE i.status = 'active' AND i.stock > 0 AND ($1::text IS NULL OR i.category = $1)
        ORDER BY p.score DESC, p.item_id LIMIT $2)`,
      [category ?? null, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Available items never interacted with, newest first (what a shop without activity can still show). */
  async newest(category: string | undefined, limit: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(
      `SELECT id FROM items WHERE status = 'active' AND stock > 0 AND ($1::text IS NULL OR category = $1) ORDER BY updated_at DESC, id LIMIT $2`,
      [category ?? null, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Each item's best neighbours by cosine (views: sessions, buys: orders), at most `perItem` each. */
  async neighbours(items: readonly string[], kind: AlsoKind, perItem: number): Promise<Map<string, Neighbour[]>> {
    const out = new Map<string, Neighbour[]>(items.map((i) => [i, []]));
    if (!items.length) return out;
    const { rows } = await this.#pool.query<{ item_id: string; other_id: string; score: number }>(
      `SELECT s.item_id, n.other_id, n.score FROM unnest($1::uuid[]) AS s(item_id)
       CROSS JOIN LATERAL (
         SELECT c.other_id, c.count / sqrt(a.count::float8 * b.count) AS score
         FROM co_counts c
         JOIN item_counts a ON a.item_id = c.item_id AND a.kind = c.kind
         JOIN item_counts b ON b.item_id = c.other_id AND b.kind = c.kind
         WHERE c.item_id = s.item_id AND c.kind = $2 AND c.other_id <> s.item_id
         ORDER BY score DESC, c.other_id LIMIT $3) n`,
      [[...new Set(items)], kind, perItem],
    );
    for (const r of rows) out.get(r.item_id)?.push({ item: r.other_id, score: r.score });
    return out;
  }

  /** The shoppers' latest interactions, newest first, and everything they ever bought. */
  async history(actors: readonly string[], limit: number): Promise<{ history: HistoryEntry[]; bought: Set<string> }> {
    const [recent, bought] = await Promise.all([
      this.#pool.query<{ item_id: string; kind: InteractionKind; at: Date }>('SELECT item_id, kind, at FROM interactions WHERE actor = ANY($1) ORDER BY at DESC LIMIT $2', [actors, limit]),
      this.#pool.query<{ item_id: string }>(`SELECT DISTINCT item_id FROM interactions WHERE actor = ANY($1) AND kind = 'purchase' LIMIT 10000`, [actors]),
    ]);
    return { history: recent.rows.map((r) => ({ item: r.item_id, kind: r.kind, at: r.at.getTime() })), bought: new Set(bought.rows.map((r) => r.item_id)) };
  }

  /** Drops what only served deduplication and session pairing once it is old (run now and then). */
  async prune(olderThanMs: number): Promise<void> {
    const before = new Date(Date.now() - olderThanMs);
    await this.#pool.query('DELETE FROM seen WHERE seen_at < $1', [before]);
    await this.#pool.query('DELETE FROM sessions WHERE last_at < $1', [before]);
  }
}

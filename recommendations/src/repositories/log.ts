// The service's consumed activity as an evaluation log: the catalog as item-events left it and every interaction
// (purchases grouped back into their orders).
import pg from 'pg';
import type { ItemInfo, ModelEvent } from '../core/model.ts';

export async function loadLog(pool: pg.Pool, since?: Date): Promise<{ items: ItemInfo[]; events: ModelEvent[] }> {
  const items = (await pool.query<ItemInfo>('SELECT id, category, brand, status, stock FROM items')).rows;
  const { rows } = await pool.query<{ actor: string; item_id: string; kind: 'view' | 'cart' | 'purchase'; at: Date; session: string | null; order_uid: string | null }>(
    'SELECT actor, item_id, kind, at, session, order_uid FROM interactions WHERE at >= $1 ORDER BY at, id',
    [since ?? new Date(0)],
  );
  const events: ModelEvent[] = [];
  const orders = new Map<string, Extract<ModelEvent, { kind: 'purchase' }>>();
  for (const r of rows) {
    if (r.kind === 'purchase') {
      const key = r.order_uid ?? `${r.actor}@${r.at.getTime()}`;
      const order = orders.get(key);
      if (order) order.items.push(r.item_id);
      else {
        const created = { kind: 'purchase' as const, actor: r.actor, items: [r.item_id], at: r.at.getTime(), order: key };
        orders.set(key, created);
        events.push(created);
      }
    } else {
      events.push({ kind: r.kind, actor: r.actor, item: r.item_id, at: r.at.getTime(), session: r.session ?? r.actor });
    }
  }
  return { items, events };
}

/** For the CLI: DATABASE_URL_RECOMMENDATIONS (or DATABASE_URL), the local default otherwise. */
export async function loadLogFromDatabase(since?: Date): Promise<{ items: ItemInfo[]; events: ModelEvent[] }> {
  const url = process.env.DATABASE_URL_RECOMMENDATIONS ?? process.env.DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/recommendations';
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    return await loadLog(pool, since);
  } finally {
    await pool.end();
  }
}

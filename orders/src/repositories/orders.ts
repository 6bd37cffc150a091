// The orders database (schema: prisma/orders/schema.prisma): one order document as rows of orders, deliveries,
// payments and order_items, written in one transaction per batch of documents (ON CONFLICT on the unique
// order_uid: a document whose uid is stored is never written again), plus the status and its history from
// `order-events`. Plain SQL on the kit's pg pool; documents are read back assembled by PostgreSQL.
import type { OrderEvent } from '@shop/contracts';
import { inTransaction } from '@shop/kit';
import type { Pool } from 'pg';
import type { OrderDocument } from '../services/validation.ts';

/** A valid document to store, with its content hash and where it was read. */
export interface Incoming {
  doc: OrderDocument;
  hash: string;
  partition: number;
  offset: string;
}

/** What became of each incoming document (by index in the input). */
export type Outcome = 'stored' | 'duplicate' | 'conflict';

/** A stored order as the API answers it: the document plus its status and history. */
export interface StoredOrder {
  customerId: string;
  /** The answer's JSON text (the document, `status`, `history`). */
  json: string;
}

const ORDER_COLUMNS = `order_uid text, track_number text, entry text, locale text, internal_signature text, customer_id text,
  delivery_service text, shardkey text, sm_id int, date_created text, created_at timestamptz, oof_shard text,
  content_sha256 text, source_partition int, source_offset bigint`;

/** The answer of GET /api/orders/:uid for the row `o`: the document's fields in the contract's order, then status and history. */
const DOCUMENT_SQL = `json_build_object(
  'order_uid', o.order_uid, 'track_number', o.track_number, 'entry', o.entry,
  'delivery', json_build_object('name', d.name, 'phone', d.phone, 'zip', d.zip, 'city', d.city, 'address', d.address, 'region', d.region, 'email', d.email),
  'payment', json_build_object('transaction', p.transaction, 'request_id', p.request_id, 'currency', p.currency, 'provider', p.provider,
    'amount', p.amount, 'payment_dt', p.payment_dt, 'bank', p.bank, 'delivery_cost', p.delivery_cost, 'goods_total', p.goods_total, 'custom_fee', p.custom_fee),
  'items', (SELECT json_agg(json_build_object('chrt_id', i.chrt_id, 'track_number', i.track_number, 'price', i.price, 'rid', i.rid, 'name', i.name,
      'sale', i.sale, 'size', i.size, 'total_price', i.total_price, 'nm_id', i.nm_id, 'brand', i.brand, 'status', i.status) ORDER BY i.position)
    FROM order_items i WHERE i.order_id = o.id),
  'locale', o.locale, 'internal_signature', o.internal_signature, 'customer_id', o.customer_id, 'delivery_service', o.delivery_service,
  'shardkey', o.shardkey, 'sm_id', o.sm_id, 'date_created', o.date_created, 'oof_shard', o.oof_shard,
  'status', s.status,
  'history', COALESCE((SELECT json_agg(json_build_object('status', e.status, 'at', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      ORDER BY e.version, e.occurred_at) FROM order_status_events e WHERE e.order_uid = o.order_uid), '[]'::json)
)::text`;

const FROM_SQL = `FROM orders o JOIN deliveries d ON d.order_id = o.id JOIN payments p ON p.order_id = o.id
  LEFT JOIN order_statuses s ON s.order_uid = o.order_uid`;

export class OrderRepository {
  readonly #pool: Pool;
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /**
   * Stores the documents in one transaction (each order's four tables together). A uid stored before (or
   * earlier in this batch) with the same content hash is a duplicate and changes nothing; with another hash
   * it is a conflict and the stored order stays as it was. Throws when the database fails: nothing of the
   * batch is then stored.
   */
  async storeBatch(batch: Incoming[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array<Outcome>(batch.length);
    const first = new Map<string, number>();
    batch.forEach((entry, i) => {
      const seen = first.get(entry.doc.order_uid);
      if (seen === undefined) first.set(entry.doc.order_uid, i);
      else outcomes[i] = batch[seen]!.hash === entry.hash ? 'duplicate' : 'conflict';
    });
    // In uid order: two writers of overlapping batches take the unique-index locks in the same order.
    const fresh = [...first.values()].sort((a, b) => (batch[a]!.doc.order_uid < batch[b]!.doc.order_uid ? -1 : 1));
    const storedHash = new Map<string, string>();
    await inTransaction(this.#pool, async (client) => {
      const rows = fresh.map((i) => {
        const { doc, hash, partition, offset } = batch[i]!;
        return {
          order_uid: doc.order_uid, track_number: doc.track_number, entry: doc.entry, locale: doc.locale, internal_signature: doc.internal_signature,
          customer_id: doc.customer_id, delivery_service: doc.delivery_service, shardkey: doc.shardkey, sm_id: doc.sm_id,
          date_created: doc.date_created, created_at: doc.date_created, oof_shard: doc.oof_shard, content_sha256: hash,
          source_partition: partition, source_offset: offset,
        };
      });
      const inserted = await client.query<{ id: string; order_uid: string }>(
        `INSERT INTO orders (${ORDER_COLUMNS.replace(/ (text|int|bigint|timestamptz)\b/g, '')})
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${ORDER_COLUMNS})
         ON CONFLICT (order_uid) DO NOTHING RETURNING id, order_uid`,
        [JSON.stringify(rows)],
      );
      const idOf = new Map(inserted.rows.map((r) => [r.order_uid, r.id]));
      const deliveries: unknown[] = [];
      const payments: unknown[] = [];
      const items: unknown[] = [];
      for (const i of fresh) {
        const { doc } = batch[i]!;
        const id = idOf.get(doc.order_uid);
        if (id === undefined) continue;
        outcomes[i] = 'stored';
        deliveries.push({ order_id: id, ...doc.delivery });
        payments.push({ order_id: id, ...doc.payment });
        doc.items.forEach((item, position) => items.push({ order_id: id, position, ...item }));
      }
      if (deliveries.length) {
        await client.query(
          `INSERT INTO deliveries (order_id, name, phone, zip, city, address, region, email)
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(order_id bigint, name text, phone text, zip text, city text, address text, region text, email text)`,
          [JSON.stringify(deliveries)],
        );
        await client.query(
          `INSERT INTO payments (order_id, transaction, request_id, currency, provider, amount, payment_dt, bank, delivery_cost, goods_total, custom_fee)
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(order_id bigint, transaction text, request_id text, currency text, provider text,
             amount bigint, payment_dt bigint, bank text, delivery_cost bigint, goods_total bigint, custom_fee bigint)`,
          [JSON.stringify(payments)],
        );
        await client.query(
          `INSERT INTO order_items (order_id, position, chrt_id, track_number, price, rid, name, sale, size, total_price, nm_id, brand, status)
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(order_id bigint, position int, chrt_id bigint, track_number text, price bigint,
             rid text, name text, sale int, size text, total_price bigint, nm_id bigint, brand text, status int)`,
          [JSON.stringify(items)],
        );
      }
      const existing = fresh.filter((i) => outcomes[i] === undefined);
      if (existing.length) {
        const { rows: stored } = await client.query<{ order_uid: string; content_sha256: string }>(
          'SELECT order_uid, content_sha256 FROM orders WHERE order_uid = ANY($1)',
          [existing.map((i) => batch[i]!.doc.order_uid)],
        );
        for (const r of stored) storedHash.set(r.order_uid, r.content_sha256);
        for (const i of existing) outcomes[i] = storedHash.get(batch[i]!.doc.order_uid) === batch[i]!.hash ? 'duplicate' : 'conflict';
      }
    });
    // A later copy in the batch of a uid stored before this batch: compare with what is stored, not the first copy.
    batch.forEach((entry, i) => {
      const firstIndex = first.get(entry.doc.order_uid)!;
      if (firstIndex !== i && outcomes[firstIndex] !== 'stored') outcomes[i] = storedHash.get(entry.doc.order_uid) === entry.hash ? 'duplicate' : 'conflict';
    });
    return outcomes;
  }

  /**
   * Records an `order-events` event once (its id): the history gets it, the current status moves only to a
   * higher version (an older event arriving late changes the history, not the status). False: seen before.
   */
  async recordEvent(event: OrderEvent): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `WITH ev AS (
         INSERT INTO order_status_events (event_id, order_uid, type, status, version, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (event_id) DO NOTHING RETURNING order_uid
       ), st AS (
         INSERT INTO order_statuses (order_uid, customer_id, status, version, updated_at) SELECT order_uid, $7, $4, $5, $6 FROM ev
         ON CONFLICT (order_uid) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
           customer_id = EXCLUDED.customer_id
         WHERE order_statuses.version < EXCLUDED.version
       ) SELECT 1 FROM ev`,
      [event.id, event.data.orderUid, event.type, event.data.status, event.version, event.occurredAt, event.data.customerId],
    );
    return rowCount === 1;
  }

  /** One order (document, status, history) or undefined. */
  async find(orderUid: string): Promise<StoredOrder | undefined> {
    const { rows } = await this.#pool.query<StoredOrder>(`SELECT o.customer_id AS "customerId", ${DOCUMENT_SQL} AS json ${FROM_SQL} WHERE o.order_uid = $1`, [orderUid]);
    return rows[0];
  }

  /** A page of orders, newest first (date_created); `customerId` undefined: everyone's. */
  async list(options: { customerId?: string; offset: number; limit: number }): Promise<{ total: number; items: StoredOrder[] }> {
    const params: unknown[] = [options.limit, options.offset];
    let where = '';
    if (options.customerId !== undefined) {
      params.push(options.customerId);
      where = 'WHERE o.customer_id = $3';
    }
    const [page, count] = await Promise.all([
      this.#pool.query<StoredOrder>(
        `SELECT o.customer_id AS "customerId", ${DOCUMENT_SQL} AS json ${FROM_SQL} ${where} ORDER BY o.created_at DESC, o.id DESC LIMIT $1 OFFSET $2`,
        params,
      ),
      this.#pool.query<{ total: string }>(`SELECT count(*) AS total FROM orders o ${where.replace('$3', '$1')}`, options.customerId === undefined ? [] : [options.customerId]),
    ]);
    return { total: Number(count.rows[0]!.total), items: page.rows };
  }

  /** Which of these orders have a status from order events. */
  async withStatus(orderUids: string[]): Promise<string[]> {
    const { rows } = await this.#pool.query<{ order_uid: string }>('SELECT order_uid FROM order_statuses WHERE order_uid = ANY($1)', [orderUids]);
    return rows.map((r) => r.order_uid);
  }

  /** The uids of the most recent orders (the cache's warm-up). */
  async recentUids(limit: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ order_uid: string }>('SELECT order_uid FROM orders ORDER BY created_at DESC, id DESC LIMIT $1', [limit]);
    return rows.map((r) => r.order_uid);
  }

  /** Several orders at once (the warm-up), in no particular order. */
  async findMany(orderUids: string[]): Promise<(StoredOrder & { orderUid: string })[]> {
    const { rows } = await this.#pool.query<StoredOrder & { orderUid: string }>(
      `SELECT o.order_uid AS "orderUid", o.customer_id AS "customerId", ${DOCUMENT_SQL} AS json ${FROM_SQL} WHERE o.order_uid = ANY($1)`,
      [orderUids],
    );
    return rows;
  }
}

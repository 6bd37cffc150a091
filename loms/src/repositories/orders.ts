// All of loms's database I/O (SQL through the kit's pg pool): orders with their outbox rows in one
// transaction, and the Idempotency-Key store.
import type pg from 'pg';
import { inTransaction, type OutboxMessage, type OutboxWriter } from '@shop/kit';

export interface OrderLineRow { itemId: string; sellerId: string; quantity: number; price: string }
export interface OrderRow {
  uid: string; customer_id: string; status: string; version: number; total_minor: string; currency: string;
  track_number: string; lines: OrderLineRow[]; document: Record<string, unknown>; card_last4: string; cancel_requested_at: Date | null;
  created_at: Date; updated_at: Date;
}
export interface NewOrder {
  uid: string; customerId: string; status: string; version: number; totalMinor: number; currency: string;
  trackNumber: string; lines: OrderLineRow[]; document: unknown; cardLast4: string;
}

export type CheckoutState = 'reserving' | 'reserved' | 'charged' | 'committed' | 'recorded' | 'released';
export interface CheckoutRow {
  order_uid: string; customer_id: string; idempotency_key: string | null; state: CheckoutState; cart_version: number;
  delivery: unknown; card_last4: string; lines: unknown[] | null; outcome: string | null; request_id: string;
}

export interface StoredKey { request_hash: string; state: 'running' | 'done'; status_code: number | null; response: unknown; expired: boolean }

export class OrderRepository {
  private readonly db: pg.Pool;
  private readonly outbox: OutboxWriter;
  constructor(db: pg.Pool, outbox: OutboxWriter) {
    this.db = db;
    this.outbox = outbox;
  }

  private transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.db, fn);
  }

  /** The order and its outbox rows, one transaction, which also marks its checkout recorded (an order recorded twice is a no-op: false). */
  async insert(order: NewOrder, messages: OutboxMessage[]): Promise<boolean> {
    return this.transaction(async (client) => {
      await client.query(`UPDATE checkouts SET state = 'recorded', updated_at = now() WHERE order_uid = $1`, [order.uid]);
      const { rowCount } = await client.query(
        `INSERT INTO orders (uid, customer_id, status, version, total_minor, currency, track_number, lines, document, card_last4)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (uid) DO NOTHING`,
        [order.uid, order.customerId, order.status, order.version, order.totalMinor, order.currency, order.trackNumber,
          JSON.stringify(order.lines), JSON.stringify(order.document), order.cardLast4],
      );
      if (!rowCount) return false;
      await this.outbox.addAll(client, messages);
      return true;
    });
  }

  // ---------------------------------------------------------------- checkout progress

  async startCheckout(c: { orderUid: string; customerId: string; key: string | null; cartVersion: number; delivery: unknown; cardLast4: string; requestId: string }): Promise<void> {
    await this.db.query(
      `INSERT INTO checkouts (order_uid, customer_id, idempotency_key, state, cart_version, delivery, card_last4, request_id)
       VALUES ($1, $2, $3, 'reserving', $4, $5, $6, $7)`,
      [c.orderUid, c.customerId, c.key, c.cartVersion, JSON.stringify(c.delivery), c.cardLast4, c.requestId],
    );
  }

  /** Moves a checkout from one of `from` to `to` (false: it is elsewhere already, e.g. recovered). */
  async advance(orderUid: string, from: CheckoutState[], to: CheckoutState, fields: { lines?: unknown[]; outcome?: string } = {}): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE checkouts SET state = $3, lines = COALESCE($4, lines), outcome = COALESCE($5, outcome), updated_at = now()
       WHERE order_uid = $1 AND state = ANY($2)`,
      [orderUid, from, to, fields.lines ? JSON.stringify(fields.lines) : null, fields.outcome ?? null],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Claims unfinished checkouts untouched for `olderThanSeconds` (a lease: claiming moves updated_at). */
  async claimStale(olderThanSeconds: number, limit = 50): Promise<CheckoutRow[]> {
    const { rows } = await this.db.query<CheckoutRow>(
      `UPDATE checkouts SET updated_at = now() WHERE order_uid IN (
         SELECT order_uid FROM checkouts WHERE state NOT IN ('recorded', 'released') AND updated_at < now() - make_interval(secs => $1)
         ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING order_uid, customer_id, idempotency_key, state, cart_version, delivery, card_last4, lines, outcome, request_id`,
      [olderThanSeconds, limit],
    );
    return rows;
  }

  /**
   * One status change of an order in one transaction with its outbox row: the order is locked, `check` decides
   * from its current state (throwing refuses; it may do idempotent work such as a refund first), then the new
   * status, version + 1 and the event built from the new version are written together.
   */
  async transition(uid: string, check: (order: OrderRow) => string, event: (order: OrderRow, status: string, version: number) => OutboxMessage): Promise<OrderRow | undefined> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<OrderRow>('SELECT * FROM orders WHERE uid = $1 FOR UPDATE', [uid]);
      const order = rows[0];
      if (!order) return undefined;
      const status = check(order);
      const { rows: updated } = await client.query<OrderRow>(
        'UPDATE orders SET status = $2, version = version + 1, cancel_requested_at = NULL, updated_at = now() WHERE uid = $1 RETURNING *', [uid, status],
      );
      await this.outbox.add(client, event(updated[0]!, status, updated[0]!.version));
      return updated[0];
    });
  }

  /**
   * Writes down that the order is being cancelled (committed before the refund and the restock, which happen
   * outside this database): `check` decides from the locked row (throwing refuses). Answers the row, or
   * undefined for an unknown uid.
   */
  async requestCancel(uid: string, check: (order: OrderRow) => void): Promise<OrderRow | undefined> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<OrderRow>('SELECT * FROM orders WHERE uid = $1 FOR UPDATE', [uid]);
      if (!rows[0]) return undefined;
      check(rows[0]);
      const { rows: updated } = await client.query<OrderRow>(
        'UPDATE orders SET cancel_requested_at = COALESCE(cancel_requested_at, now()) WHERE uid = $1 RETURNING *', [uid],
      );
      return updated[0];
    });
  }

  /** Cancellations a crash interrupted: requested more than `olderThanSeconds` ago and not finished. */
  async staleCancellations(olderThanSeconds: number, limit = 50): Promise<string[]> {
    const { rows } = await this.db.query<{ uid: string }>(
      `SELECT uid FROM orders WHERE cancel_requested_at < now() - make_interval(secs => $1) ORDER BY cancel_requested_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows.map((r) => r.uid);
  }

  async find(uid: string): Promise<OrderRow | undefined> {
    const { rows } = await this.db.query<OrderRow>('SELECT * FROM orders WHERE uid = $1', [uid]);
    return rows[0];
  }

  // ---------------------------------------------------------------- Idempotency-Key

  /** Claims the key for a new request (true), or answers what is stored under it. Expired keys are taken over. */
  async claimKey(userId: string, key: string, requestHash: string, ttlSeconds: number): Promise<true | StoredKey> {
    const { rowCount } = await this.db.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, state, expires_at) VALUES ($1, $2, $3, 'running', now() + make_interval(secs => $4))
       ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'running', status_code = NULL, response = NULL,
         order_uid = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at < now()`,
      [userId, key, requestHash, ttlSeconds],
    );
    if (rowCount) return true;
    const { rows } = await this.db.query<StoredKey>(
      'SELECT request_hash, state, status_code, response, expires_at < now() AS expired FROM idempotency_keys WHERE user_id = $1 AND key = $2', [userId, key],
    );
    return rows[0] ?? this.claimKey(userId, key, requestHash, ttlSeconds);
  }

  async completeKey(userId: string, key: string, statusCode: number, response: unknown): Promise<void> {
    await this.db.query(`UPDATE idempotency_keys SET state = 'done', status_code = $3, response = $4 WHERE user_id = $1 AND key = $2`, [userId, key, statusCode, JSON.stringify(response)]);
  }

  /** Gives the key back (the request failed before anything lasting happened: the client may try again). */
  async releaseKey(userId: string, key: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND state = 'running'`, [userId, key]);
  }

  /**
   * Keys left running by a lost request (older than `olderThanSeconds`): those whose checkout was recorded answer
   * its order (`answer` builds the stored answer); those with no checkout in progress are freed.
   */
  async settleStaleKeys(olderThanSeconds: number, answer: (order: OrderRow & { outcome: string | null }) => { statusCode: number; body: unknown }): Promise<number> {
    const { rows } = await this.db.query<OrderRow & { user_id: string; key: string; outcome: string | null }>(
      `SELECT k.user_id, k.key, c.outcome, o.* FROM idempotency_keys k
         JOIN checkouts c ON c.customer_id = k.user_id AND c.idempotency_key = k.key AND c.state = 'recorded'
         JOIN orders o ON o.uid = c.order_uid
       WHERE k.state = 'running' AND k.created_at < now() - make_interval(secs => $1)`,
      [olderThanSeconds],
    );
    for (const row of rows) {
      const { statusCode, body } = answer(row);
      await this.completeKey(row.user_id, row.key, statusCode, body);
    }
    const { rowCount } = await this.db.query(
      `DELETE FROM idempotency_keys k WHERE k.state = 'running' AND k.created_at < now() - make_interval(secs => $1)
         AND NOT EXISTS (SELECT 1 FROM checkouts c WHERE c.customer_id = k.user_id AND c.idempotency_key = k.key AND c.state <> 'released')`,
      [olderThanSeconds],
    );
    return rows.length + (rowCount ?? 0);
  }

  async purgeExpiredKeys(): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM idempotency_keys WHERE expires_at < now() - interval '1 hour'`);
    return rowCount ?? 0;
  }
}

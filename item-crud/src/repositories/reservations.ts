import type { ItemStatus, ReservationState } from '@shop/prisma/shop';
import type { Db } from '../db.ts';
import type { Tx } from './items.ts';

export type { ReservationState };
export type ReleaseReason = 'released' | 'expired' | 'restocked';

/** One line of an order's reservation, with what the answer shows of its item. */
export interface ReservationRow {
  orderUid: string;
  itemId: string;
  quantity: number;
  price: string;
  currency: string;
  state: ReservationState;
  releaseReason: ReleaseReason | null;
  expiresAt: Date;
  committedAt: Date | null;
  releasedAt: Date | null;
  createdAt: Date;
  /** expires_at <= now() by the database clock (the sweeper's and every instance's one clock). */
  expired: boolean;
  article: number;
  sellerId: string;
  name: string;
  brand: string;
}

/** An item row as a reservation sees it, locked. */
export interface StockRow {
  id: string;
  status: ItemStatus;
  stock: number;
  reserved: number;
  price: string;
  currency: string;
}

export interface Units { itemId: string; quantity: number }

/** The name of the advisory lock a sweep round holds, across every item-crud instance. */
export const SWEEP_LOCK_NAME = 'item-crud:reservation-sweeper';

const ROW_COLUMNS = `
  r.order_uid AS "orderUid", r.item_id::text AS "itemId", r.quantity, r.price::text AS price, r.currency, r.state::text AS state,
  r.release_reason AS "releaseReason", r.expires_at AS "expiresAt", r.committed_at AS "committedAt", r.released_at AS "releasedAt",
  r.created_at AS "createdAt", r.expires_at <= now() AS expired,
  i.article, i.seller_id::text AS "sellerId", i.name, i.brand`;

/**
 * Reservations (`reservations`) and the `reserved` column of items they move. All writes run inside the
 * caller's transaction (`ItemRepository.transaction`). Lock order everywhere: the order's advisory lock or its
 * reservation rows first, then item rows by id, so concurrent reservations never deadlock.
 */
export class ReservationRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Serializes the requests of one order (two first reservations of it cannot both insert). */
  async lockOrder(tx: Tx, orderUid: string): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('item-crud:reservation:' || ${orderUid}))`;
  }

  /** The order's lines in item id order; `forUpdate` takes their row locks (commit, release, restock). */
  async findByOrder(tx: Tx, orderUid: string, forUpdate: boolean): Promise<ReservationRow[]> {
    const rows = forUpdate
      ? await tx.$queryRawUnsafe<ReservationRow[]>(
        `SELECT ${ROW_COLUMNS} FROM reservations r JOIN items i ON i.id = r.item_id WHERE r.order_uid = $1 ORDER BY r.item_id FOR UPDATE OF r`, orderUid)
      : await tx.$queryRawUnsafe<ReservationRow[]>(
        `SELECT ${ROW_COLUMNS} FROM reservations r JOIN items i ON i.id = r.item_id WHERE r.order_uid = $1 ORDER BY r.item_id`, orderUid);
    return rows.map((r) => ({ ...r, currency: r.currency.trim() }));
  }

  /** `SELECT ... FOR UPDATE` of the items, in id order (the one lock order of every reservation path). */
  async lockItems(tx: Tx, itemIds: string[]): Promise<StockRow[]> {
    const rows = await tx.$queryRaw<StockRow[]>`
      SELECT id::text AS id, status::text AS status, stock, reserved, price::text AS price, currency
        FROM items WHERE id = ANY(${[...itemIds].sort()}::uuid[]) ORDER BY id FOR UPDATE`;
    return rows.map((r) => ({ ...r, currency: r.currency.trim() }));
  }

  /** `reserved = reserved + quantity` per item (negative to give units back); no version, no event. */
  async addReserved(tx: Tx, units: Units[]): Promise<void> {
    if (units.length === 0) return;
    await tx.$executeRaw`
      UPDATE items SET reserved = items.reserved + d.quantity
        FROM unnest(${units.map((u) => u.itemId)}::uuid[], ${units.map((u) => u.quantity)}::int[]) AS d(id, quantity)
       WHERE items.id = d.id`;
  }

  /** The new lines of an order, held until now() + ttl by the database clock. */
  async insertHeld(tx: Tx, orderUid: string, lines: (Units & { price: string; currency: string })[], ttlSeconds: number): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO reservations (order_uid, item_id, quantity, price, currency, state, expires_at, updated_at)
      SELECT ${orderUid}, d.item_id, d.quantity, d.price, d.currency, 'held', now() + make_interval(secs => ${ttlSeconds}), now()
        FROM unnest(${lines.map((l) => l.itemId)}::uuid[], ${lines.map((l) => l.quantity)}::int[],
                    ${lines.map((l) => l.price)}::numeric[], ${lines.map((l) => l.currency)}::text[]) AS d(item_id, quantity, price, currency)`;
  }

  async markCommitted(tx: Tx, orderUid: string): Promise<void> {
    await tx.$executeRaw`
      UPDATE reservations SET state = 'committed', committed_at = now(), updated_at = now() WHERE order_uid = ${orderUid} AND state = 'held'`;
  }

  /** Lines of these orders in state `from` become released with `reason`. */
  async markReleased(tx: Tx, lines: { orderUid: string; itemId: string }[], from: ReservationState, reason: ReleaseReason): Promise<void> {
    if (lines.length === 0) return;
    await tx.$executeRaw`
      UPDATE reservations r SET state = 'released', release_reason = ${reason}, released_at = now(), updated_at = now()
        FROM unnest(${lines.map((l) => l.orderUid)}::text[], ${lines.map((l) => l.itemId)}::uuid[]) AS d(order_uid, item_id)
       WHERE r.order_uid = d.order_uid AND r.item_id = d.item_id AND r.state = ${from}::"ReservationState"`;
  }

  /** One sweep round may run at a time across instances: false when another holds the lock. */
  async tryLockSweep(tx: Tx): Promise<boolean> {
    const [row] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext(${SWEEP_LOCK_NAME})) AS locked`;
    return row?.locked === true;
  }

  /** Held lines past their expiry, locked (skipping lines a commit or release is working on). */
  async lockExpired(tx: Tx, limit: number): Promise<{ orderUid: string; itemId: string; quantity: number }[]> {
    return tx.$queryRaw`
      SELECT order_uid AS "orderUid", item_id::text AS "itemId", quantity FROM reservations
       WHERE state = 'held' AND expires_at <= now()
       ORDER BY order_uid, item_id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
  }

  /** Lines and units per state, for the gauges. */
  async totals(): Promise<{ state: ReservationState; lines: number; units: number }[]> {
    return this.#db.$queryRaw`
      SELECT state::text AS state, count(*)::int AS lines, coalesce(sum(quantity), 0)::int AS units FROM reservations GROUP BY state`;
  }
}

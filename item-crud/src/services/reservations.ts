/**
 * Stock reservations for orders being placed (loms asks for them; item-crud stays the only owner of stock).
 *
 * held ──commit──▶ committed ──restock──▶ released (restocked)
 *   └──release / expiry──▶ released (released | expired)
 *
 * `items.reserved` is the sum of the held lines of an item, kept in the same transactions as the lines; the
 * database refuses `reserved > stock` or `reserved < 0` (CHECK). Reserving and releasing hold or give back units
 * without an item version (the item did not change); a commit (stock − n) and a restock (stock + n) are item
 * changes: version + 1 and an `item.updated` event, as any other change.
 */
import { HttpProblem, badRequest, notFound, problemType, type Metrics } from '@shop/kit';
import type { Counter, Gauge } from 'prom-client';
import type { ItemRecord, ItemRepository, Tx } from '../repositories/items.ts';
import type { OutboxWriter } from '../repositories/outbox.ts';
import type { ReleaseReason, ReservationRepository, ReservationRow, ReservationState, Units } from '../repositories/reservations.ts';
import { outboxRowFor } from './events.ts';

export interface ReserveInput {
  orderUid: string;
  lines: Units[];
  ttlSeconds?: number;
}

export interface ReservationLineView {
  itemId: string;
  article: number;
  sellerId: string;
  name: string;
  brand: string;
  quantity: number;
  /** The item's price when the units were reserved ("1999.90"): what loms charges. */
  price: string;
  currency: string;
}

export interface ReservationView {
  orderUid: string;
  state: ReservationState;
  /** Why it was released: by loms (`released`), by the sweeper (`expired`), after a commit (`restocked`). */
  releaseReason: ReleaseReason | null;
  expiresAt: string;
  createdAt: string;
  committedAt: string | null;
  releasedAt: string | null;
  lines: ReservationLineView[];
}

export type ReservationEvent = 'reserved' | 'replayed' | 'out_of_stock' | 'unavailable' | 'committed' | 'released' | 'restocked' | 'expired';

export interface ReservationMetrics {
  /** Orders by what happened to them (lines of expired ones are counted by the sweeper per round). */
  events: Counter<'event'>;
  /** Lines and units per state, refreshed by every sweep round. */
  lines: Gauge<'state'>;
  units: Gauge<'state'>;
}

const EVENTS: ReservationEvent[] = ['reserved', 'replayed', 'out_of_stock', 'unavailable', 'committed', 'released', 'restocked', 'expired'];

export function reservationMetrics(metrics: Metrics): ReservationMetrics {
  const m = {
    events: metrics.counter({
      name: 'reservations_total', labelNames: ['event'] as const,
      help: 'Stock reservations by event: reserved, replayed, out_of_stock, unavailable, committed, released, restocked, expired (expired counts lines)',
    }),
    lines: metrics.gauge({ name: 'reservation_lines', help: 'Reservation lines (order × item) per state', labelNames: ['state'] as const }),
    units: metrics.gauge({ name: 'reservation_units', help: 'Units in reservation lines per state (held: what items.reserved sums to)', labelNames: ['state'] as const }),
  };
  for (const event of EVENTS) m.events.inc({ event }, 0); // every series exists from the start (rates need the 0)
  return m;
}

export interface ReservationServiceDeps {
  items: ItemRepository;
  reservations: ReservationRepository;
  outbox: OutboxWriter;
  defaultTtlSeconds: number;
  metrics: ReservationMetrics;
}

export const MAX_LINES = 100;

const problem = (status: number, slug: string, detail: string, extensions: Record<string, unknown> = {}) =>
  new HttpProblem(status, detail, { type: problemType(slug), extensions });

function toView(rows: ReservationRow[]): ReservationView {
  // Every transition moves a whole order; a sweep round cut short can leave an order partly expired for a
  // moment: the least advanced state is the order's.
  const state: ReservationState = rows.some((r) => r.state === 'held') ? 'held' : rows.some((r) => r.state === 'committed') ? 'committed' : 'released';
  const first = rows.find((r) => r.state === state)!;
  const iso = (d: Date | null) => (d === null ? null : d.toISOString());
  return {
    orderUid: first.orderUid,
    state,
    releaseReason: state === 'released' ? first.releaseReason : null,
    expiresAt: first.expiresAt.toISOString(),
    createdAt: first.createdAt.toISOString(),
    committedAt: iso(rows.find((r) => r.committedAt)?.committedAt ?? null),
    releasedAt: state === 'released' ? iso(first.releasedAt) : null,
    lines: rows.map((r) => ({
      itemId: r.itemId, article: r.article, sellerId: r.sellerId, name: r.name, brand: r.brand, quantity: r.quantity, price: r.price, currency: r.currency,
    })),
  };
}

const sameLines = (a: Units[], b: Units[]) =>
  a.length === b.length && [...a].sort((x, y) => x.itemId.localeCompare(y.itemId)).every((l, i) => {
    const o = [...b].sort((x, y) => x.itemId.localeCompare(y.itemId))[i]!;
    return l.itemId === o.itemId && l.quantity === o.quantity;
  });

export class ReservationService {
  readonly #d: ReservationServiceDeps;
  constructor(deps: ReservationServiceDeps) {
    this.#d = deps;
  }

  /**
   * Holds every line or none. Answers `created: false` with the order's reservation as it is when the same
   * order asks again with the same lines (whatever happened to it since); other lines for a known order are a 422.
   */
  async reserve(input: ReserveInput): Promise<{ reservation: ReservationView; created: boolean }> {
    const ids = input.lines.map((l) => l.itemId.toLowerCase());
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (duplicates.length > 0) {
      throw badRequest(`An item may appear in one line only: ${[...new Set(duplicates)].join(', ')}`,
        [...new Set(duplicates)].map((id) => ({ location: 'body', pointer: `/lines/${ids.lastIndexOf(id)}/itemId`, message: 'appears in another line too' })));
    }
    const lines = input.lines.map((l, i) => ({ itemId: ids[i]!, quantity: l.quantity }));
    const ttl = input.ttlSeconds ?? this.#d.defaultTtlSeconds;
    const { events } = this.#d.metrics;
    try {
      const result = await this.#d.items.transaction(async (tx) => {
        await this.#d.reservations.lockOrder(tx, input.orderUid);
        const existing = await this.#d.reservations.findByOrder(tx, input.orderUid, false);
        if (existing.length > 0) {
          if (!sameLines(existing, lines)) {
            throw problem(422, 'reservation-mismatch', `Order ${input.orderUid} already has a reservation with other lines; an order is reserved once`, {
              lines: existing.map((r) => ({ itemId: r.itemId, quantity: r.quantity })),
            });
          }
          return { reservation: toView(existing), created: false };
        }
        const items = new Map((await this.#d.reservations.lockItems(tx, ids)).map((row) => [row.id, row]));
        const unknown = ids.filter((id) => items.get(id)?.status === undefined || items.get(id)!.status === 'deleted');
        if (unknown.length > 0) throw problem(404, 'item-not-found', `No such items: ${unknown.join(', ')}`, { itemIds: unknown });
        const hidden = ids.filter((id) => items.get(id)!.status === 'hidden');
        if (hidden.length > 0) throw problem(409, 'item-unavailable', `These items are not on sale: ${hidden.join(', ')}`, { itemIds: hidden });
        const short = lines
          .map((l) => ({ itemId: l.itemId, requested: l.quantity, available: Math.max(0, items.get(l.itemId)!.stock - items.get(l.itemId)!.reserved) }))
          .filter((l) => l.requested > l.available);
        if (short.length > 0) {
          throw problem(409, 'out-of-stock', `Not enough stock for ${short.length} of ${lines.length} lines: ${short.map((l) => `${l.itemId} (${l.available} of ${l.requested})`).join(', ')}`, { lines: short });
        }
        await this.#d.reservations.addReserved(tx, lines);
        await this.#d.reservations.insertHeld(tx, input.orderUid,
          lines.map((l) => ({ ...l, price: items.get(l.itemId)!.price, currency: items.get(l.itemId)!.currency })), ttl);
        return { reservation: toView(await this.#d.reservations.findByOrder(tx, input.orderUid, false)), created: true };
      });
      events.inc({ event: result.created ? 'reserved' : 'replayed' });
      return result;
    } catch (err) {
      if (err instanceof HttpProblem && err.type === problemType('out-of-stock')) events.inc({ event: 'out_of_stock' });
      if (err instanceof HttpProblem && (err.type === problemType('item-unavailable') || err.type === problemType('item-not-found'))) events.inc({ event: 'unavailable' });
      throw err;
    }
  }

  /** The order's reservation as it is now (404 when the order never reserved). */
  async get(orderUid: string): Promise<ReservationView> {
    const rows = await this.#d.items.transaction((tx) => this.#d.reservations.findByOrder(tx, orderUid, false));
    if (rows.length === 0) throw notFound(`No reservation for order ${orderUid}`);
    return toView(rows);
  }

  /**
   * The order is paid: stock − n for every line, one transaction, item versions + 1 and `item.updated`.
   * Again on a committed order: the same answer. A released order (by loms, or expired) is a 409; so is a held
   * one past its expiry (released then and there: its units may already be promised to someone else).
   */
  async commit(orderUid: string): Promise<ReservationView> {
    const outcome = await this.#d.items.transaction(async (tx) => {
      const rows = await this.#lockedRows(tx, orderUid);
      if (rows.every((r) => r.state === 'committed')) return { rows, expired: false, changed: false };
      const released = rows.find((r) => r.state === 'released');
      if (released) {
        throw problem(409, 'reservation-released', `The reservation of order ${orderUid} was released (${released.releaseReason}); reserve again under a new order`, {
          state: 'released', releaseReason: released.releaseReason,
        });
      }
      const held = rows.filter((r) => r.state === 'held');
      if (held.some((r) => r.expired)) {
        await this.#giveBack(tx, held, 'expired');
        return { rows: held, expired: true, changed: true };
      }
      await this.#d.reservations.lockItems(tx, held.map((r) => r.itemId));
      for (const r of held) await this.#changeStock(tx, r.itemId, { stock: -r.quantity, reserved: -r.quantity });
      await this.#d.reservations.markCommitted(tx, orderUid);
      return { rows: await this.#d.reservations.findByOrder(tx, orderUid, false), expired: false, changed: true };
    });
    if (outcome.expired) {
      this.#d.metrics.events.inc({ event: 'expired' }, outcome.rows.length);
      throw problem(409, 'reservation-expired', `The reservation of order ${orderUid} expired at ${outcome.rows[0]!.expiresAt.toISOString()}; its units were released`, {
        state: 'released', releaseReason: 'expired',
      });
    }
    if (outcome.changed) this.#d.metrics.events.inc({ event: 'committed' });
    return toView(outcome.rows);
  }

  /** The order is abandoned before payment: held units return. Again: the same answer. A committed order: 409 (restock it). */
  async release(orderUid: string): Promise<ReservationView> {
    const outcome = await this.#d.items.transaction(async (tx) => {
      const rows = await this.#lockedRows(tx, orderUid);
      if (rows.some((r) => r.state === 'committed')) {
        throw problem(409, 'reservation-committed', `The reservation of order ${orderUid} was committed (the stock was taken); restock it instead`, { state: 'committed' });
      }
      const held = rows.filter((r) => r.state === 'held');
      await this.#giveBack(tx, held, 'released');
      return { rows: held.length ? await this.#d.reservations.findByOrder(tx, orderUid, false) : rows, changed: held.length > 0 };
    });
    if (outcome.changed) this.#d.metrics.events.inc({ event: 'released' });
    return toView(outcome.rows);
  }

  /**
   * A paid order is cancelled or refunded: the committed units return to stock (item versions + 1,
   * `item.updated`). Again: the same answer. An order that was never committed is a 409.
   */
  async restock(orderUid: string): Promise<ReservationView> {
    const outcome = await this.#d.items.transaction(async (tx) => {
      const rows = await this.#lockedRows(tx, orderUid);
      if (rows.every((r) => r.state === 'released' && r.releaseReason === 'restocked')) return { rows, changed: false };
      const committed = rows.filter((r) => r.state === 'committed');
      if (committed.length !== rows.length) {
        throw problem(409, 'reservation-not-committed', `The reservation of order ${orderUid} was never committed; release it instead`, { state: toView(rows).state });
      }
      await this.#d.reservations.lockItems(tx, committed.map((r) => r.itemId));
      for (const r of committed) await this.#changeStock(tx, r.itemId, { stock: r.quantity });
      await this.#d.reservations.markReleased(tx, committed, 'committed', 'restocked');
      return { rows: await this.#d.reservations.findByOrder(tx, orderUid, false), changed: true };
    });
    if (outcome.changed) this.#d.metrics.events.inc({ event: 'restocked' });
    return toView(outcome.rows);
  }

  /**
   * One sweep round: held lines past their expiry (up to `limit`) are released, in one transaction under the
   * sweeper's advisory lock (another instance's round makes this one a no-op). Answers the lines released, or
   * null when another instance holds the lock.
   */
  async sweepExpired(limit = 500): Promise<number | null> {
    const released = await this.#d.items.transaction(async (tx) => {
      if (!(await this.#d.reservations.tryLockSweep(tx))) return null;
      const expired = await this.#d.reservations.lockExpired(tx, limit);
      await this.#giveBack(tx, expired, 'expired');
      return expired.length;
    });
    if (released) this.#d.metrics.events.inc({ event: 'expired' }, released);
    return released;
  }

  /** Sets the gauges from the table. */
  async measure(): Promise<void> {
    const totals = await this.#d.reservations.totals();
    for (const state of ['held', 'committed', 'released'] as const) {
      const t = totals.find((x) => x.state === state);
      this.#d.metrics.lines.set({ state }, t?.lines ?? 0);
      this.#d.metrics.units.set({ state }, t?.units ?? 0);
    }
  }

  async #lockedRows(tx: Tx, orderUid: string): Promise<ReservationRow[]> {
    const rows = await this.#d.reservations.findByOrder(tx, orderUid, true);
    if (rows.length === 0) throw notFound(`No reservation for order ${orderUid}`);
    return rows;
  }

  /** Held lines released with `reason`: their items' reserved go down (items locked in id order first). */
  async #giveBack(tx: Tx, held: { orderUid: string; itemId: string; quantity: number }[], reason: ReleaseReason): Promise<void> {
    if (held.length === 0) return;
    const perItem = new Map<string, number>();
    for (const l of held) perItem.set(l.itemId, (perItem.get(l.itemId) ?? 0) - l.quantity);
    await this.#d.reservations.lockItems(tx, [...perItem.keys()]);
    await this.#d.reservations.addReserved(tx, [...perItem].map(([itemId, quantity]) => ({ itemId, quantity })));
    await this.#d.reservations.markReleased(tx, held, 'held', reason);
  }

  /** Stock (and reserved) increments as an item change: version + 1 and `item.updated`; a deleted item only follows. */
  async #changeStock(tx: Tx, itemId: string, deltas: { stock: number; reserved?: number }): Promise<ItemRecord | null> {
    const row = await this.#d.items.bumpVersion(tx, itemId, deltas);
    if (row) await this.#d.outbox.add(tx, outboxRowFor('item.updated', row).row);
    else await this.#d.items.adjustDeleted(tx, itemId, deltas);
    return row;
  }
}

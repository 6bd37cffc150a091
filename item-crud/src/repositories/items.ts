import type { ReviewSummary } from '@shop/contracts';
import type { Item, ItemImage, ItemStatus, Prisma } from '@shop/prisma/shop';
import type { Db } from '../db.ts';

/** A Prisma client inside an interactive transaction. */
export type Tx = Prisma.TransactionClient;

/** An item row with its images (in position order): everything a snapshot needs. */
export type ItemRecord = Item & { images: ItemImage[] };

export interface NewItem {
  sellerId: string;
  name: string;
  description: string;
  brand: string;
  categorySlug: string;
  price: string;
  currency: string;
  stock: number;
  attributes: Record<string, string | number>;
}

export type ItemChanges = Partial<Omit<NewItem, 'sellerId'>> & { status?: ItemStatus };

/** SQL increments a change applies with its version bump (never read-modify-write). */
export interface ItemDeltas {
  ratingSum?: number;
  ratingCount?: number;
  /** Units in stock (a reservation committed: −n; a committed one restocked: +n). */
  stock?: number;
  /** Units held by reservations. */
  reserved?: number;
}

/**
 * A review summary (the `review-summaries` contract's) stored with a version bump: only over an older one, so a
 * redelivered or out-of-order summary matches no row.
 */
export interface ReviewSummaryChange {
  summary: ReviewSummary;
  revision: number;
}

const increments = (deltas: ItemDeltas) =>
  Object.fromEntries(Object.entries(deltas).filter(([, v]) => v !== undefined && v !== 0).map(([k, v]) => [k, { increment: v }]));

const imagesInOrder = { orderBy: [{ position: 'asc' }, { createdAt: 'asc' }] } satisfies Prisma.Item$imagesArgs;

/** Items: every write runs in a transaction given by the caller (so the outbox row joins it). */
export class ItemRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#db.$transaction(fn, { maxWait: 5_000, timeout: 10_000 });
  }

  insert(tx: Tx, item: NewItem): Promise<ItemRecord> {
    return tx.item.create({ data: { ...item, status: 'active', version: 1 }, include: { images: imagesInOrder } });
  }

  /**
   * Applies `changes` and bumps the version in one statement,
   * `UPDATE items SET ..., version = version + 1 WHERE id = $1 AND version = $2 AND status <> 'deleted' RETURNING *`,
   * so of concurrent writers holding the same version exactly one matches. `expectedVersion` null: any version.
   * A new `stock` also needs `reserved <= $stock` (units held by reservations stay in stock).
   * Answers null when nothing matched (missing, deleted, stale or stock below reserved).
   */
  async updateIfVersion(tx: Tx, id: string, expectedVersion: number | null, changes: ItemChanges): Promise<ItemRecord | null> {
    const [row] = await tx.item.updateManyAndReturn({
      where: {
        id, status: { not: 'deleted' },
        ...(expectedVersion === null ? {} : { version: expectedVersion }),
        ...(changes.stock === undefined ? {} : { reserved: { lte: changes.stock } }),
      },
      data: { ...changes, version: { increment: 1 } },
    });
    if (!row) return null;
    const images = await tx.itemImage.findMany({ where: { itemId: id }, ...imagesInOrder });
    return { ...row, images };
  }

  /**
   * `UPDATE items SET version = version + 1[, rating_sum = rating_sum + $sum, ..., stock = stock + $n, reserved = reserved + $m]
   * WHERE id = $1 AND status <> 'deleted' RETURNING *`: a change to something the item owns (its images, its
   * reviews, its stock through reservations, its review summary) is a new item version. The increments are SQL,
   * never read-modify-write. With `review`, also `review_summary = $summary, review_revision = $revision` and
   * `AND review_revision < $revision` in the WHERE. Holds the item's row lock until the transaction ends, so such
   * changes of one item are serialized. Null when missing, deleted (or, with `review`, at that revision or newer).
   */
  async bumpVersion(tx: Tx, id: string, deltas: ItemDeltas = {}, review?: ReviewSummaryChange): Promise<ItemRecord | null> {
    const [row] = await tx.item.updateManyAndReturn({
      where: { id, status: { not: 'deleted' }, ...(review ? { reviewRevision: { lt: review.revision } } : {}) },
      data: {
        version: { increment: 1 }, ...increments(deltas),
        ...(review ? { reviewSummary: review.summary as Prisma.InputJsonObject, reviewRevision: review.revision } : {}),
      },
    });
    if (!row) return null;
    const images = await tx.itemImage.findMany({ where: { itemId: id }, ...imagesInOrder });
    return { ...row, images };
  }

  /**
   * The same increments on a deleted item, without a version (a deleted item has no more versions or events):
   * stock still follows the reservations that held its units. False when there is no such item.
   */
  async adjustDeleted(tx: Tx, id: string, deltas: ItemDeltas): Promise<boolean> {
    const { count } = await tx.item.updateMany({ where: { id, status: 'deleted' }, data: increments(deltas) });
    return count === 1;
  }

  /**
   * `SELECT ... FOR UPDATE` of an item that is not deleted: the caller holds the item's row lock until its
   * transaction ends (reviews take it before reading the author's previous review). Null when missing or deleted.
   */
  async lock(tx: Tx, id: string): Promise<{ id: string; sellerId: string; status: ItemStatus } | null> {
    const rows = await tx.$queryRaw<{ id: string; sellerId: string; status: ItemStatus }[]>`
      SELECT id::text AS id, seller_id::text AS "sellerId", status::text AS status
        FROM items WHERE id = ${id}::uuid AND status <> 'deleted' FOR UPDATE`;
    return rows[0] ?? null;
  }

  /** The item's status, deleted ones included (inside the caller's transaction); null when there is no such item. */
  async status(tx: Tx, id: string): Promise<ItemStatus | null> {
    const row = await tx.item.findUnique({ where: { id }, select: { status: true } });
    return row?.status ?? null;
  }

  findById(id: string): Promise<ItemRecord | null> {
    return this.#db.item.findUnique({ where: { id }, include: { images: imagesInOrder } });
  }

  /** One page, newest first, and the total that matches. */
  async list(filter: { sellerId?: string; statuses: ItemStatus[] }, skip: number, take: number): Promise<{ rows: ItemRecord[]; total: number }> {
    const where: Prisma.ItemWhereInput = { status: { in: filter.statuses }, ...(filter.sellerId ? { sellerId: filter.sellerId } : {}) };
    const [rows, total] = await Promise.all([
      this.#db.item.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip, take, include: { images: imagesInOrder } }),
      this.#db.item.count({ where }),
    ]);
    return { rows, total };
  }
}

import type { Seller } from '@shop/prisma/shop';
import type { Db } from '../db.ts';
import type { Tx } from './items.ts';

export type { Seller };

export interface SellerWithCount extends Seller {
  itemCount: number;
}

/** Seller profiles, keyed by the sso user id. */
export class SellerRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Creates the profile when it does not exist yet (INSERT ... ON CONFLICT DO NOTHING: race-safe). */
  async ensure(tx: Tx, id: string, displayName: string): Promise<void> {
    await tx.seller.createMany({ data: [{ id, displayName }], skipDuplicates: true });
  }

  /** The profile with the number of its items that are on sale (status active). */
  async findWithItemCount(id: string): Promise<SellerWithCount | null> {
    const seller = await this.#db.seller.findUnique({ where: { id } });
    if (!seller) return null;
    const itemCount = await this.#db.item.count({ where: { sellerId: id, status: 'active' } });
    return { ...seller, itemCount };
  }

  /** Creates or changes the profile (one statement: INSERT ... ON CONFLICT DO UPDATE). */
  upsert(id: string, create: { displayName: string; description: string }, update: { displayName?: string; description?: string }): Promise<Seller> {
    return this.#db.seller.upsert({ where: { id }, create: { id, ...create }, update });
  }
}

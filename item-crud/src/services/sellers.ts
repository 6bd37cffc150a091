import { notFound } from '@shop/kit';
import type { Seller, SellerRepository, SellerWithCount } from '../repositories/sellers.ts';

export interface SellerView {
  id: string;
  displayName: string;
  description: string;
  itemCount: number;
  createdAt: string;
}

/** "Seller 1a2b3c4d": the name a profile gets when it is created by the first item. */
export const defaultDisplayName = (sellerId: string) => `Seller ${sellerId.slice(0, 8)}`;

const view = (s: SellerWithCount): SellerView => ({
  id: s.id, displayName: s.displayName, description: s.description, itemCount: s.itemCount, createdAt: s.createdAt.toISOString(),
});

/** Public seller profiles; each seller edits only their own (the id comes from the verified token). */
export class SellerService {
  readonly #repo: SellerRepository;
  constructor(repo: SellerRepository) {
    this.#repo = repo;
  }

  async get(id: string): Promise<SellerView> {
    const seller = await this.#repo.findWithItemCount(id);
    if (!seller) throw notFound(`No seller with id ${id}`);
    return view(seller);
  }

  /** The caller's own profile; before the first item or PATCH there is none (a 404 that says so). */
  async getOwn(sellerId: string): Promise<SellerView> {
    const seller = await this.#repo.findWithItemCount(sellerId);
    if (!seller) throw notFound('You have no seller profile yet: your first item or PATCH /api/sellers/me creates it');
    return view(seller);
  }

  async updateOwn(sellerId: string, changes: { displayName?: string; description?: string }): Promise<SellerView> {
    const saved: Seller = await this.#repo.upsert(
      sellerId,
      { displayName: changes.displayName ?? defaultDisplayName(sellerId), description: changes.description ?? '' },
      changes,
    );
    const withCount = await this.#repo.findWithItemCount(saved.id);
    return view(withCount ?? { ...saved, itemCount: 0 });
  }
}

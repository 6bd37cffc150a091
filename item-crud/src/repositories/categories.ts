import type { Category } from '@shop/prisma/shop';
import type { Db } from '../db.ts';

export type { Category };

/** The category tree (seeded by a migration; read-only for the service). */
export class CategoryRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  all(): Promise<Category[]> {
    return this.#db.category.findMany({ orderBy: [{ position: 'asc' }, { slug: 'asc' }] });
  }
}

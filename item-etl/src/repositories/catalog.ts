/**
 * Read-only access to the catalog database (owned by item-crud): categories, the per-batch
 * enrichment (seller names, rating sums, review summaries) and keyset-paginated item scans for rebuild and reconcile.
 */
import type pg from 'pg';
import type { ItemInput } from '../documents/document.ts';

export type Queryable = Pick<pg.Pool, 'query'>;

export interface CategoryRow { slug: string; nameRu: string; nameEn: string; parentSlug: string | null }

/** An item row with what its document needs from other tables. */
export interface ItemRow extends ItemInput {
  sellerName: string | null;
  ratingSum: number;
  ratingCount: number;
  /** `items.review_summary` as stored (the contract's `ReviewSummary`), null before the item's first summary. */
  reviewSummary: unknown;
}

/** What a batch's enrichment holds per item row. */
export interface ItemExtras { sum: number; count: number; reviewSummary: unknown }

export interface VersionRow { id: string; version: number; status: 'active' | 'hidden' | 'deleted' }

/** Optional narrowing of scans to one seller (operators checking one shop; tests sharing a database). */
export interface Scope { sellerId?: string }

const ITEM_COLUMNS = `
  i.id, i.article, i.seller_id, i.name, i.description, i.brand, i.category_slug, i.price::text AS price, i.currency,
  i.stock, i.attributes, i.status::text AS status, i.version, i.rating_sum, i.rating_count, i.review_summary, i.created_at, i.updated_at,
  s.display_name AS seller_name,
  (SELECT coalesce(json_agg(json_build_object('key', im.key, 'position', im.position) ORDER BY im.position, im.created_at), '[]'::json)
     FROM item_images im WHERE im.item_id = i.id) AS images`;

interface RawItem {
  id: string; article: number; seller_id: string; name: string; description: string; brand: string; category_slug: string; price: string;
  currency: string; stock: number; attributes: Record<string, string | number> | null; status: ItemRow['status']; version: number;
  rating_sum: number; rating_count: number; review_summary: unknown; created_at: Date; updated_at: Date; seller_name: string | null;
  images: { key: string; position: number }[];
}

const toItem = (r: RawItem): ItemRow => ({
  id: r.id,
  article: r.article,
  sellerId: r.seller_id,
  name: r.name,
  description: r.description,
  brand: r.brand,
  category: r.category_slug,
  price: r.price,
  currency: r.currency.trim(),
  stock: r.stock,
  attributes: r.attributes && typeof r.attributes === 'object' && !Array.isArray(r.attributes) ? r.attributes : {},
  images: r.images,
  status: r.status,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  sellerName: r.seller_name,
  ratingSum: r.rating_sum,
  ratingCount: r.rating_count,
  reviewSummary: r.review_summary ?? null,
});

export class CatalogRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async categories(): Promise<CategoryRow[]> {
    const { rows } = await this.#db.query<CategoryRow>(
      'SELECT slug, name_ru AS "nameRu", name_en AS "nameEn", parent_slug AS "parentSlug" FROM categories',
    );
    return rows;
  }

  /**
   * Seller names, rating sums and review summaries for a batch, in one round trip; absent rows are simply
   * missing from the maps.
   */
  async enrichment(itemIds: string[], sellerIds: string[]): Promise<{ sellers: Map<string, string>; ratings: Map<string, ItemExtras> }> {
    const { rows } = await this.#db.query<{
      kind: 'item' | 'seller'; id: string; rating_sum: number | null; rating_count: number | null; review_summary: unknown; display_name: string | null;
    }>(
      `SELECT 'item' AS kind, id::text, rating_sum, rating_count, review_summary, NULL::text AS display_name FROM items WHERE id = ANY($1::uuid[])
       UNION ALL
       SELECT 'seller', id::text, NULL, NULL, NULL::jsonb, display_name FROM sellers WHERE id = ANY($2::uuid[])`,
      [[...new Set(itemIds)], [...new Set(sellerIds)]],
    );
    const sellers = new Map<string, string>();
    const ratings = new Map<string, ItemExtras>();
    for (const r of rows) {
      if (r.kind === 'seller' && r.display_name !== null) sellers.set(r.id, r.display_name);
      if (r.kind === 'item') ratings.set(r.id, { sum: r.rating_sum ?? 0, count: r.rating_count ?? 0, reviewSummary: r.review_summary ?? null });
    }
    return { sellers, ratings };
  }

  /** Items that should be searchable (not deleted), ordered by id, after `afterId` (keyset pagination). */
  async liveItemsPage(afterId: string | null, limit: number, scope: Scope = {}): Promise<ItemRow[]> {
    const { rows } = await this.#db.query<RawItem>(
      `SELECT ${ITEM_COLUMNS}
         FROM items i LEFT JOIN sellers s ON s.id = i.seller_id
        WHERE i.status <> 'deleted' AND ($1::uuid IS NULL OR i.id > $1::uuid) AND ($2::uuid IS NULL OR i.seller_id = $2::uuid)
        ORDER BY i.id LIMIT $3`,
      [afterId, scope.sellerId ?? null, limit],
    );
    return rows.map(toItem);
  }

  /** The given items in any status (repairs). */
  async itemsByIds(ids: string[]): Promise<ItemRow[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.#db.query<RawItem>(
      `SELECT ${ITEM_COLUMNS} FROM items i LEFT JOIN sellers s ON s.id = i.seller_id WHERE i.id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map(toItem);
  }

  /** id, version and status of every item (any status), keyset-paginated by id. */
  async versionsPage(afterId: string | null, limit: number, scope: Scope = {}): Promise<VersionRow[]> {
    const { rows } = await this.#db.query<VersionRow>(
      `SELECT id::text, version, status::text AS status FROM items
        WHERE ($1::uuid IS NULL OR id > $1::uuid) AND ($2::uuid IS NULL OR seller_id = $2::uuid)
        ORDER BY id LIMIT $3`,
      [afterId, scope.sellerId ?? null, limit],
    );
    return rows;
  }
}

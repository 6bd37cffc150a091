// What a list looks like: search's compact item shape, from the item table (item-events) with the rating from the
// search index (best effort: an index that does not answer in time leaves the stored rating unknown, 0/0), and
// content similarity (more_like_this) for items without neighbours.
import type { Client } from '@elastic/elasticsearch';
import type { ItemRow } from '../repositories/model.ts';

export interface Rating { average: number; count: number }
export interface CompactItem {
  id: string; article: number | null; name: string; brand: string; category: string; price: string; currency: string;
  rating: Rating; image: string | null; highlight: Record<string, string[]>;
}

/** The public URL of an image key (`items/<itemId>/<imageId>/original`): its thumbnail through the facade (as search). */
export function imageUrl(key: string | null | undefined): string | null {
  const m = key ? /^items\/([0-9a-f-]{36})\/([0-9a-f-]{36})\/original$/i.exec(key) : null;
  return m ? `/api/images/${m[1]}/${m[2]}?size=thumb` : null;
}

export const compact = (r: ItemRow, rating: Rating = { average: 0, count: 0 }): CompactItem => ({
  id: r.id, article: r.article, name: r.name, brand: r.brand, category: r.category, price: r.price, currency: r.currency,
  rating, image: imageUrl(r.imageKey), highlight: {},
});

export const SIMILAR_FIELDS = ['name', 'brand', 'description', 'categoryNames'];

export class Catalog {
  readonly #es: Client | undefined;
  readonly #alias: string;
  readonly #timeoutMs: number;
  constructor(es: Client | undefined, alias: string, timeoutMs: number) {
    this.#es = es;
    this.#alias = alias;
    this.#timeoutMs = timeoutMs;
  }

  /** The ratings of these items; {} when the index does not answer in time. */
  async ratings(ids: readonly string[]): Promise<Map<string, Rating>> {
    if (!this.#es || !ids.length) return new Map();
    try {
      const res = await this.#es.search<{ id: string; rating?: Rating }>({
        index: this.#alias, size: ids.length, _source: ['id', 'rating'], query: { ids: { values: [...ids] } },
      }, { requestTimeout: this.#timeoutMs, maxRetries: 0 });
      return new Map(res.hits.hits.flatMap((h) => (h._source?.rating ? [[h._source.id, h._source.rating] as const] : [])));
    } catch {
      return new Map();
    }
  }

  async items(ids: readonly string[], rows: Map<string, ItemRow>): Promise<CompactItem[]> {
    const ratings = await this.ratings(ids);
    return ids.flatMap((id) => {
      const row = rows.get(id);
      return row ? [compact(row, ratings.get(id))] : [];
    });
  }

  /** Items whose text is like this item's (Elasticsearch more_like_this over its indexed document), active only. */
  similar = async (itemId: string, size: number): Promise<string[]> => {
    if (!this.#es) return [];
    const res = await this.#es.search<{ id: string }>({
      index: this.#alias, size, _source: ['id'],
      query: {
        bool: {
          must: [{ more_like_this: { fields: SIMILAR_FIELDS, like: [{ _index: this.#alias, _id: itemId }], min_term_freq: 1, min_doc_freq: 1, max_query_terms: 25, minimum_should_match: '30%' } }],
          filter: [{ term: { status: 'active' } }],
          must_not: [{ ids: { values: [itemId] } }],
        },
      },
    }, { requestTimeout: this.#timeoutMs, maxRetries: 0 });
    return res.hits.hits.flatMap((h) => (h._source ? [h._source.id] : []));
  };
}

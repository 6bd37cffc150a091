/**
 * Related items: Elasticsearch `more_like_this` over the item's own indexed document (by id, so
 * the text comes from the index, not from the request), active items only, the item itself
 * excluded. The answer has search's compact item shape.
 */
import type { Client } from '@elastic/elasticsearch';
import type { FacadeMetrics } from '../metrics.ts';
import { UpstreamError, type Rating } from './item-crud.ts';

export const RELATED_TIMEOUT_MS = 1_000;
export const RELATED_SIZE = 8;
export const RELATED_FIELDS = ['name', 'brand', 'description', 'categoryNames'];

export interface RelatedItem {
  id: string;
  name: string;
  brand: string;
  category: string;
  price: string;
  currency: string;
  rating: Rating;
  /** Thumbnail URL of the main image, or null. */
  image: string | null;
}

interface Doc { id: string; name: string; brand: string; category: string; price: number; currency: string; rating?: Rating; image?: string | null }

const KEY = /^items\/([0-9a-f-]{36})\/([0-9a-f-]{36})\/original$/i;

/** The document's `image` is the MinIO key `items/<itemId>/<imageId>/original`; pages link the thumbnail route. */
export function thumbUrlOfKey(key: string | null | undefined): string | null {
  const m = key ? KEY.exec(key) : null;
  return m ? `/api/images/${m[1]}/${m[2]}?size=thumb` : null;
}

export class RelatedRepository {
  readonly #es: Client;
  readonly #alias: string;
  readonly #metrics: FacadeMetrics;
  constructor(es: Client, alias: string, metrics: FacadeMetrics) {
    this.#es = es;
    this.#alias = alias;
    this.#metrics = metrics;
  }

  async similar(itemId: string): Promise<RelatedItem[]> {
    let hits: { _source?: Doc }[];
    try {
      const res = await this.#es.search<Doc>({
        index: this.#alias,
        size: RELATED_SIZE,
        _source: ['id', 'name', 'brand', 'category', 'price', 'currency', 'rating', 'image'],
        query: {
          bool: {
            must: [{
              more_like_this: {
                fields: RELATED_FIELDS,
                like: [{ _index: this.#alias, _id: itemId }],
                // Names and descriptions are short: a term counts from its first occurrence.
                min_term_freq: 1,
                min_doc_freq: 1,
                max_query_terms: 25,
                minimum_should_match: '30%',
              },
            }],
            filter: [{ term: { status: 'active' } }],
            must_not: [{ ids: { values: [itemId] } }],
          },
        },
      }, { requestTimeout: RELATED_TIMEOUT_MS, maxRetries: 0 });
      hits = res.hits.hits;
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError';
      this.#metrics.upstream.inc({ source: 'related', outcome: timeout ? 'timeout' : 'error' });
      throw new UpstreamError('related', timeout ? 'timeout' : 'unreachable', (err as Error).message, { cause: err });
    }
    this.#metrics.upstream.inc({ source: 'related', outcome: 'ok' });
    return hits.flatMap(({ _source: d }) => (d ? [{
      id: d.id, name: d.name, brand: d.brand, category: d.category, price: Number(d.price).toFixed(2), currency: d.currency,
      rating: d.rating ?? { average: 0, count: 0 }, image: thumbUrlOfKey(d.image),
    }] : []));
  }
}

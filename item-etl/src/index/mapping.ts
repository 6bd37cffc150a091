/**
 * The item index: settings and a strict mapping. Every feature used here exists on the
 * integ-test-zip Elasticsearch (core only) as well as on the official image, except `scaled_float`
 * (mapper-extras module, absent from the integ-test build): `price` is a `double` instead, holding
 * the price in currency units with at most two decimals (ranges, sorting and histogram facets work
 * the same; the exact decimal string is rebuilt with `toFixed(2)`).
 */
import type { estypes } from '@elastic/elasticsearch';
import { itemAnalysis } from '../analysis.ts';

/** Case-insensitive keyword matching (a custom normalizer with the core `lowercase` filter). */
export const LOWERCASE_NORMALIZER = 'shop_lowercase';

/**
 * How long a delete's version tombstone is kept. With `version_type: external` a delete at version
 * N makes ES reject any later write with version ≤ N — but only while the tombstone lives
 * (`index.gc_deletes`, 60 s by default). Events of one item can arrive that late (a consumer restart
 * replaying a partition, a rebuild backfill racing the live stream, a DLQ replay), so an hour keeps
 * "delete v4, then update v3 ⇒ stays deleted" true for every realistic delay; the cost is a few bytes
 * per deleted id for an hour.
 */
export const GC_DELETES = '1h';

export function itemIndexSettings(refreshInterval: string): estypes.IndicesIndexSettings {
  return {
    number_of_shards: 1,
    // 0 replicas on a single node (green), 1 as soon as there is a second node.
    auto_expand_replicas: '0-1',
    refresh_interval: refreshInterval,
    gc_deletes: GC_DELETES,
    analysis: {
      ...itemAnalysis,
      normalizer: { [LOWERCASE_NORMALIZER]: { type: 'custom', filter: ['lowercase'] } },
    },
  };
}

const text = { type: 'text', analyzer: 'shop_text' } as const;
const keyword = { type: 'keyword' } as const;
const date = { type: 'date' } as const;

export const itemMappings: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    id: keyword,
    sellerId: keyword,
    sellerName: { ...text, fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
    name: {
      ...text,
      fields: {
        /** The words as written (lowercased), no morphology: exact-word boosts. */
        exact: { type: 'text', analyzer: 'shop_exact' },
        /** Whole name, case-insensitive: exact-title matches and sorting. */
        keyword: { type: 'keyword', normalizer: LOWERCASE_NORMALIZER, ignore_above: 256 },
        /** Word prefixes indexed up front: fast `prefix`/`match_phrase_prefix` for as-you-type search. */
        prefix: { type: 'text', analyzer: 'shop_exact', index_prefixes: { min_chars: 1, max_chars: 10 } },
      },
    },
    /** Model codes of the name without separators (see `modelCodes` in contracts): "wh1000xm5" finds "WH-1000XM5". */
    models: { type: 'keyword', ignore_above: 64 },
    description: text,
    brand: {
      type: 'keyword',
      ignore_above: 256,
      fields: {
        text,
        lower: { type: 'keyword', normalizer: LOWERCASE_NORMALIZER, ignore_above: 256 },
      },
    },
    category: keyword,
    /** The category slug and all its ancestors: `term` on it filters a category with its descendants. */
    categoryPath: keyword,
    categoryNames: text,
    /** The numeric article number (exact lookups; added to older indices by IndexLifecycle.upgradeMappings). */
    article: { type: 'long' },
    price: { type: 'double' },
    currency: keyword,
    stock: { type: 'integer' },
    inStock: { type: 'boolean' },
    attributes: { type: 'object', enabled: false },
    attributesText: text,
    image: { type: 'keyword', index: false },
    rating: { properties: { average: { type: 'half_float' }, count: { type: 'integer' } } },
    /**
     * The compact review summary (comment-analysis, through item-crud's `items.review_summary`): sort by
     * score and count, filter by score and praised aspects. Added to older indices by IndexLifecycle.upgradeMappings.
     */
    reviewSummary: {
      properties: {
        count: { type: 'integer' },
        positive: { type: 'integer' },
        neutral: { type: 'integer' },
        negative: { type: 'integer' },
        score: { type: 'float' },
        positiveShare: { type: 'float' },
        praised: { type: 'keyword', ignore_above: 40 },
        criticized: { type: 'keyword', ignore_above: 40 },
      },
    },
    status: keyword,
    version: { type: 'long' },
    createdAt: date,
    updatedAt: date,
    indexedAt: date,
    suggest: {
      type: 'completion',
      // standard tokenizer + lowercase (the default `simple` analyzer would drop digits: "iphone 15").
      analyzer: 'shop_exact',
      search_analyzer: 'shop_exact',
      preserve_separators: true,
      preserve_position_increments: true,
      max_input_length: 100,
    },
  },
};

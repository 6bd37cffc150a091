/**
 * Elasticsearch requests for the search page. The text part is built word by word (after synonym
 * expansion) so that every word must match somewhere (name, brand, category, description,
 * attributes) and typos are tolerated only where asked.
 */
import type { estypes } from '@elastic/elasticsearch';
import type { QueryUnit } from './synonyms.ts';
import { hasDigit } from './text.ts';

export const SORTS = ['relevance', 'price_asc', 'price_desc', 'newest', 'rating', 'reviews'] as const;
export type Sort = (typeof SORTS)[number];

export interface SearchParams {
  q?: string;
  category?: string;
  brand?: string[];
  seller?: string;
  priceMin?: number;
  priceMax?: number;
  inStock?: boolean;
  /** Only items with reviews whose mean score (reviewSummary.score, -1..1) is at least this. */
  minReviewScore?: number;
  /** Aspects the item's reviews must mostly praise (every one of them). */
  praised?: string[];
  sort: Sort;
  page: number;
  size: number;
}

/** Price facet buckets (RUB). */
export const PRICE_RANGES = [
  { to: 1_000 }, { from: 1_000, to: 5_000 }, { from: 5_000, to: 20_000 }, { from: 20_000, to: 50_000 }, { from: 50_000, to: 100_000 }, { from: 100_000 },
];

/**
 * Field weights: the name above the brand above the category above the description and
 * attributes. `name.exact` (no morphology) adds to a word typed exactly as written.
 */
export const TEXT_FIELDS = ['name^4', 'name.exact^1', 'brand.text^3', 'categoryNames^2', 'description^1', 'attributesText^1'];
/** Typos are forgiven only where a shopper names the thing: name, brand, category — not in long descriptions. */
export const FUZZY_FIELDS = ['name.exact^4', 'brand.text^3', 'categoryNames^2'];
/** Typo-tolerance: none below 4 letters, one typo from 4, two from 8 (Algolia's defaults). */
export const FUZZINESS = 'AUTO:4,8';
/** A fuzzy match counts this much of an exact one, so exact matches rank first. */
export const FUZZY_WEIGHT = 0.2;

/** How the words are matched: `strict` (morphology and synonyms only) or `fuzzy` (plus typos). */
export type MatchMode = 'strict' | 'fuzzy';

export interface TextPlan {
  /** The query text the plan answers (normalized), used for phrase and whole-name boosts. */
  text: string;
  units: QueryUnit[];
  mode: MatchMode;
  /** Per query word: the model codes (without separators) of the query that include it ("rtx" and "4060" → "rtx4060"). */
  codes?: ReadonlyMap<string, string[]>;
}

/** A word matched through a model code written otherwise ("wh1000xm5" for "WH-1000XM5") scores like a name match of a rare word. */
export const MODEL_CODE_BOOST = 8;

/** The word as written, or (for a part of a model code) the code written with other separators in the item's name. */
function wordClause(word: string, mode: MatchMode, codes?: ReadonlyMap<string, string[]>): estypes.QueryDslQueryContainer {
  const clause = textWordClause(word, mode);
  const code = codes?.get(word);
  if (!code?.length) return clause;
  // Both count: the words as written and the code they make together (adjacent, as in the name) add up.
  return { bool: { should: [clause, { terms: { models: code, boost: MODEL_CODE_BOOST } }], minimum_should_match: 1 } };
}

function textWordClause(word: string, mode: MatchMode): estypes.QueryDslQueryContainer {
  // A word with inner separators ("gel-kayano30", "wh-1000xm5") is several tokens: all of them, not any.
  const exact: estypes.QueryDslQueryContainer = { multi_match: { query: word, fields: TEXT_FIELDS, type: 'best_fields', tie_breaker: 0.3, operator: 'and' } };
  if (mode === 'strict' || hasDigit(word) || word.length < 4) return exact;
  return {
    dis_max: {
      queries: [
        exact,
        {
          multi_match: {
            query: word, fields: FUZZY_FIELDS, type: 'best_fields', fuzziness: FUZZINESS, prefix_length: 1, max_expansions: 25, boost: FUZZY_WEIGHT,
          },
        },
      ],
    },
  };
}

const phraseClause = (phrase: string[]): estypes.QueryDslQueryContainer => ({
  multi_match: { query: phrase.join(' '), fields: TEXT_FIELDS, type: 'phrase', slop: 1 },
});

/** One unit: its own words (several words: all of them), or any of its synonyms. */
function unitClause(unit: QueryUnit, mode: MatchMode, codes?: ReadonlyMap<string, string[]>): estypes.QueryDslQueryContainer {
  const own: estypes.QueryDslQueryContainer = unit.words.length === 1
    ? wordClause(unit.words[0]!, mode, codes)
    : { bool: { must: unit.words.map((w) => wordClause(w, mode, codes)) } };
  if (!unit.alternatives.length) return own;
  const alternatives = unit.alternatives.map((alt) => (alt.length === 1 ? wordClause(alt[0]!, 'strict') : phraseClause(alt)));
  // The words as typed score a little above their synonyms.
  return { bool: { should: [{ bool: { must: [own], boost: 1.2 } }, ...alternatives], minimum_should_match: 1 } };
}

/** An article number: digits only, within what a long holds exactly in JavaScript. */
const ARTICLE = /^[1-9]\d{0,14}$/;

/**
 * The text query of a plan, wrapped in a gentle nudge: in-stock and well-rated items gain at most
 * ~20% of their text score, never enough to overturn a clearly better text match.
 */
export function textQuery(plan: TextPlan): estypes.QueryDslQueryContainer {
  const clauses = plan.units.map((u) => unitClause(u, plan.mode, plan.codes));
  const lower = plan.text.toLowerCase();
  const words: estypes.QueryDslQueryContainer = { bool: { must: clauses } };
  // A number alone may be an article number, typed as shoppers copy it from a product page: that item first.
  const article = ARTICLE.test(plan.text.trim()) ? Number(plan.text.trim()) : undefined;
  const matched: estypes.QueryDslQueryContainer = article === undefined
    ? words
    : { bool: { should: [words, { term: { article: { value: article, boost: 100 } } }], minimum_should_match: 1 } };
  return {
    function_score: {
      query: {
        bool: {
          must: [matched],
          should: [
            // The whole query as the item's exact name, as a phrase in the name, as its exact words.
            { term: { 'name.keyword': { value: lower, boost: 10 } } },
            { match_phrase: { name: { query: plan.text, slop: 1, boost: 3 } } },
            { match: { 'name.exact': { query: plan.text, operator: 'and', boost: 2 } } },
            { term: { 'brand.lower': { value: lower, boost: 2 } } },
          ],
        },
      },
      functions: [
        { weight: 1 },
        { filter: { term: { inStock: true } }, weight: 0.1 },
        // Ratings count once there are a few of them: +0.02 per star of the average (≤ 0.1).
        { filter: { range: { 'rating.count': { gte: 3 } } }, field_value_factor: { field: 'rating.average', factor: 0.02, missing: 0 } },
      ],
      score_mode: 'sum',
      boost_mode: 'multiply',
    },
  };
}

type FacetName = 'category' | 'brand' | 'price' | 'inStock';

/** Filters by facet, so each facet's counts can ignore its own selection. */
function facetFilters(p: SearchParams): Record<FacetName, estypes.QueryDslQueryContainer[]> {
  const range: estypes.QueryDslNumberRangeQuery = {};
  if (p.priceMin !== undefined) range.gte = p.priceMin;
  if (p.priceMax !== undefined) range.lte = p.priceMax;
  return {
    category: p.category ? [{ term: { categoryPath: p.category } }] : [],
    brand: p.brand?.length ? [{ terms: { brand: p.brand } }] : [],
    price: p.priceMin !== undefined || p.priceMax !== undefined ? [{ range: { price: range } }] : [],
    inStock: p.inStock ? [{ term: { inStock: true } }] : [],
  };
}

const SORT: Record<Sort, estypes.SortCombinations[]> = {
  relevance: [{ _score: { order: 'desc' } }, { id: 'asc' }],
  price_asc: [{ price: 'asc' }, { id: 'asc' }],
  price_desc: [{ price: 'desc' }, { id: 'asc' }],
  newest: [{ createdAt: 'desc' }, { id: 'asc' }],
  rating: [{ 'rating.average': 'desc' }, { 'rating.count': 'desc' }, { id: 'asc' }],
  // Best reviewed: the reviews' mean score, then how many there are. `unmapped_type`: an index item-etl has not
  // upgraded yet (no reviewSummary) still sorts instead of failing; documents without the field come last.
  reviews: [
    { 'reviewSummary.score': { order: 'desc', missing: '_last', unmapped_type: 'float' } },
    { 'reviewSummary.count': { order: 'desc', missing: '_last', unmapped_type: 'integer' } },
    { id: 'asc' },
  ],
};

/** Filters without a facet of their own: they narrow the hits and every facet alike. */
const baseFilters = (p: SearchParams): estypes.QueryDslQueryContainer[] => [
  { term: { status: 'active' } },
  ...(p.seller ? [{ term: { sellerId: p.seller } }] : []),
  // A score needs reviews: an item without any (score 0) never passes, whatever the threshold.
  ...(p.minReviewScore !== undefined ? [{ range: { 'reviewSummary.score': { gte: p.minReviewScore } } }, { range: { 'reviewSummary.count': { gte: 1 } } }] : []),
  // Every named aspect mostly praised (AND: each is a demand on the item, not an alternative).
  ...(p.praised ?? []).map((aspect) => ({ term: { 'reviewSummary.praised': aspect } })),
];

/** A cheap probe: does this plan find anything with these filters? (No hits, aggregations or scoring beyond the count.) */
export function buildProbe(p: SearchParams, plan: TextPlan): estypes.SearchRequest {
  const filters = Object.values(facetFilters(p)).flat();
  return { query: { bool: { must: [textQuery(plan)], filter: [...baseFilters(p), ...filters] } }, size: 1, track_total_hits: true, _source: false };
}

/** One request: hits with highlights, plus facets whose counts stay right while a filter in the same facet is active. */
export function buildSearch(p: SearchParams, plan?: TextPlan): estypes.SearchRequest {
  const filters = facetFilters(p);
  const all = Object.values(filters).flat();
  const except = (name: FacetName) => (Object.entries(filters) as [FacetName, estypes.QueryDslQueryContainer[]][]).filter(([n]) => n !== name).flatMap(([, f]) => f);
  return {
    query: { bool: { must: plan ? [textQuery(plan)] : [{ match_all: {} }], filter: baseFilters(p) } },
    post_filter: all.length ? { bool: { filter: all } } : undefined,
    from: (p.page - 1) * p.size,
    size: p.size,
    sort: SORT[p.sort],
    track_total_hits: true,
    _source: ['id', 'article', 'name', 'brand', 'category', 'price', 'currency', 'rating', 'image', 'reviewSummary.count', 'reviewSummary.score', 'reviewSummary.praised', 'reviewSummary.criticized'],
    highlight: plan
      ? {
        pre_tags: ['<em>'], post_tags: ['</em>'], encoder: 'html', require_field_match: false,
        fields: { name: { number_of_fragments: 0 }, description: { fragment_size: 150, number_of_fragments: 1 } },
      }
      : undefined,
    aggs: {
      category: { filter: { bool: { filter: except('category') } }, aggs: { values: { terms: { field: 'category', size: 50 } } } },
      brand: { filter: { bool: { filter: except('brand') } }, aggs: { values: { terms: { field: 'brand', size: 50 } } } },
      price: { filter: { bool: { filter: except('price') } }, aggs: { values: { range: { field: 'price', ranges: PRICE_RANGES } } } },
    },
  };
}

import type { estypes } from '@elastic/elasticsearch';

export const SORTS = ['relevance', 'price_asc', 'price_desc', 'newest', 'rating'] as const;
export type Sort = (typeof SORTS)[number];

export interface SearchParams {
  q?: string;
  category?: string;
  brand?: string[];
  seller?: string;
  priceMin?: number;
  priceMax?: number;
  inStock?: boolean;
  sort: Sort;
  page: number;
  size: number;
}

/** Price facet buckets (RUB). */
export const PRICE_RANGES = [
  { to: 1_000 }, { from: 1_000, to: 5_000 }, { from: 5_000, to: 20_000 }, { from: 20_000, to: 50_000 }, { from: 50_000, to: 100_000 }, { from: 100_000 },
];

/** Shoppers' spelling: ё is е, spaces collapse. */
export const normalizeText = (text: string) => text.normalize('NFKC').replace(/ё/g, 'е').replace(/Ё/g, 'Е').replace(/\s+/g, ' ').trim();

function textQuery(q: string): estypes.QueryDslQueryContainer {
  return {
    bool: {
      must: [{
        multi_match: {
          query: q,
          fields: ['name^4', 'brand.text^3', 'categoryNames^2', 'description', 'attributesText'],
          type: 'most_fields',
          operator: 'and',
        },
      }],
      should: [
        { match_phrase: { name: { query: q, boost: 3 } } },
        { match: { 'name.exact': { query: q, operator: 'and', boost: 2 } } },
      ],
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
};

/** One request: hits with highlights, plus facets whose counts stay right while a filter in the same facet is active. */
export function buildSearch(p: SearchParams): estypes.SearchRequest {
  const filters = facetFilters(p);
  const all = Object.values(filters).flat();
  const except = (name: FacetName) => (Object.entries(filters) as [FacetName, estypes.QueryDslQueryContainer[]][]).filter(([n]) => n !== name).flatMap(([, f]) => f);
  const base: estypes.QueryDslQueryContainer[] = [{ term: { status: 'active' } }];
  if (p.seller) base.push({ term: { sellerId: p.seller } });
  const q = p.q ? normalizeText(p.q) : '';
  return {
    query: { bool: { must: q ? [textQuery(q)] : [{ match_all: {} }], filter: base } },
    post_filter: all.length ? { bool: { filter: all } } : undefined,
    from: (p.page - 1) * p.size,
    size: p.size,
    sort: SORT[p.sort],
    track_total_hits: true,
    _source: ['id', 'name', 'brand', 'category', 'price', 'currency', 'rating', 'image'],
    highlight: q ? { pre_tags: ['<em>'], post_tags: ['</em>'], fields: { name: { number_of_fragments: 0 }, description: { fragment_size: 150, number_of_fragments: 1 } } } : undefined,
    aggs: {
      category: { filter: { bool: { filter: except('category') } }, aggs: { values: { terms: { field: 'category', size: 50 } } } },
      brand: { filter: { bool: { filter: except('brand') } }, aggs: { values: { terms: { field: 'brand', size: 50 } } } },
      price: { filter: { bool: { filter: except('price') } }, aggs: { values: { range: { field: 'price', ranges: PRICE_RANGES } } } },
    },
  };
}

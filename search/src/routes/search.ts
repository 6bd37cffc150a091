import { createHash, randomUUID } from 'node:crypto';
import { REVIEW_SUMMARY_TOP_MAX, normalizeQuery } from '@shop/contracts';
import { type App, HttpProblem, Type, activityActor, problems } from '@shop/kit';
import { SORTS, type SearchParams } from '../query.ts';
import type { PopularQueries } from '../services/popular.ts';
import type { SearchResult, SearchService } from '../services/search.ts';
import type { SuggestService } from '../services/suggest.ts';
import { normalizeText, words } from '../text.ts';

export const MAX_WINDOW = 10_000;
export const MAX_PAGE_SIZE = 100;
export const MAX_QUERY_LENGTH = 200;
export const MAX_QUERY_WORDS = 12;
export const MAX_BRANDS = 20;
export const MAX_SUGGEST_LENGTH = 100;
/** Aspects a search may require to be praised (a summary names at most this many). */
export const MAX_PRAISED = REVIEW_SUMMARY_TOP_MAX;

const validation = (detail: string) => new HttpProblem(400, detail, { type: 'urn:shop:problem:validation' });

const Query = Type.Object({
  q: Type.Optional(Type.String({ maxLength: MAX_QUERY_LENGTH, description: `at most ${MAX_QUERY_WORDS} words` })),
  category: Type.Optional(Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 100 })),
  brand: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: MAX_BRANDS })),
  seller: Type.Optional(Type.String({ format: 'uuid' })),
  priceMin: Type.Optional(Type.Number({ minimum: 0, maximum: 1e12 })),
  priceMax: Type.Optional(Type.Number({ minimum: 0, maximum: 1e12 })),
  inStock: Type.Optional(Type.Boolean()),
  minReviewScore: Type.Optional(Type.Number({
    minimum: -1, maximum: 1,
    description: 'only items with at least one review whose mean review score (-1 all negative … 1 all positive) is at least this; items without reviews never match',
  })),
  praised: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,39}$', description: 'an aspect name: sound, battery, quality, size, comfort, delivery, …' }), {
    maxItems: MAX_PRAISED,
    description: `repeatable (praised=sound&praised=battery, at most ${MAX_PRAISED}): only items whose reviews mostly praise every one of these aspects`,
  })),
  sort: Type.Union(SORTS.map((s) => Type.Literal(s)), {
    default: 'relevance',
    description: 'relevance; price_asc/price_desc; newest; rating (average stars, then their count); reviews (best reviewed: mean review score, then review count); the item id breaks every tie',
  }),
  page: Type.Integer({ minimum: 1, maximum: MAX_WINDOW, default: 1, description: `page × size may not exceed ${MAX_WINDOW}` }),
  size: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 }),
}, { additionalProperties: false });

const Bucket = Type.Object({ value: Type.String(), count: Type.Integer() });
const Result = Type.Object({
  total: Type.Integer(),
  page: Type.Integer(),
  size: Type.Integer(),
  items: Type.Array(Type.Object({
    id: Type.String(),
    article: Type.Union([Type.Integer(), Type.Null()], { description: 'the article number shoppers see on the product page (a query of just this number finds the item first)' }),
    name: Type.String(), brand: Type.String(), category: Type.String(), price: Type.String(), currency: Type.String(),
    rating: Type.Object({ average: Type.Number(), count: Type.Integer() }),
    reviewSummary: Type.Object({
      count: Type.Integer({ minimum: 0, description: 'analyzed reviews' }),
      score: Type.Number({ minimum: -1, maximum: 1, description: 'their mean score, -1..1; 0 without reviews' }),
      praised: Type.Array(Type.String(), { description: 'aspects the reviews mostly praise, strongest first' }),
      criticized: Type.Array(Type.String(), { description: 'aspects the reviews mostly criticize, strongest first' }),
    }, { description: 'what the reviews say (review analysis); count 0 and empty lists without reviews' }),
    image: Type.Union([Type.String(), Type.Null()], { description: 'thumbnail URL of the main image' }),
    highlight: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'matched words wrapped in <em>; the rest of the text is HTML-escaped' }),
  })),
  facets: Type.Object({
    category: Type.Array(Bucket),
    brand: Type.Array(Bucket),
    price: Type.Array(Type.Object({ from: Type.Union([Type.Number(), Type.Null()]), to: Type.Union([Type.Number(), Type.Null()]), count: Type.Integer() })),
  }),
  didYouMean: Type.Optional(Type.String()),
  correction: Type.Optional(Type.Object({
    step: Type.Union([Type.Literal('layout'), Type.Literal('transliteration'), Type.Literal('typo'), Type.Literal('layout_typo'), Type.Literal('relaxed')]),
    query: Type.String({ description: 'the question actually answered' }),
    dropped: Type.Optional(Type.Array(Type.String(), { description: 'words the results do not contain' })),
  }, { description: 'present when nothing matched the query as typed and a fallback answered instead' })),
  cached: Type.Boolean(),
  tookMs: Type.Integer(),
  queryId: Type.String({ format: 'uuid', description: 'this search\'s id: clients send it back with search_click events (POST /api/activity)' }),
});

const SuggestQuery = Type.Object({ q: Type.String({ maxLength: MAX_SUGGEST_LENGTH }) }, { additionalProperties: false });
const SuggestResult = Type.Object({
  suggestions: Type.Array(Type.Object({
    text: Type.String(),
    kind: Type.Union([Type.Literal('query'), Type.Literal('item'), Type.Literal('category')]),
    id: Type.Optional(Type.String()),
  })),
});

export interface SearchRouteOptions {
  search: SearchService;
  suggest: SuggestService;
  popular: PopularQueries;
  /** Count answered queries here (false: the list comes from analytics). */
  recordPopular?: boolean;
  cacheTtlMs: number;
  redisPrefix: string;
  /** Changes when the synonym rules are reloaded, so cached answers of the old rules are not reused. */
  rulesVersion: () => number;
}

export function registerSearchRoutes(app: App, options: SearchRouteOptions): void {
  const { cacheTtlMs } = options;
  const cacheKey = (kind: string, value: unknown) => `${options.redisPrefix}:v3:${kind}:${options.rulesVersion()}:${createHash('sha1').update(JSON.stringify(value)).digest('base64url')}`;
  const requests = app.metrics.counter({ name: 'search_requests_total', help: 'Searches by how they were answered', labelNames: ['step', 'cache'] });
  const zero = app.metrics.counter({ name: 'search_zero_results_total', help: 'Searches with a query that found nothing, even after the fallbacks' });

  async function cached<T>(key: string, compute: () => Promise<T>, store: (value: T) => boolean): Promise<{ value: T; hit: boolean }> {
    if (cacheTtlMs > 0) {
      const hit = await app.redis.get(key).catch(() => null); // Redis down: answer from Elasticsearch
      if (hit) return { value: JSON.parse(hit) as T, hit: true };
    }
    const value = await compute();
    // Not awaited: the answer does not wait for the cache write (a lost write is only a later miss).
    if (cacheTtlMs > 0 && store(value)) app.redis.set(key, JSON.stringify(value), 'PX', cacheTtlMs).catch(() => undefined);
    return { value, hit: false };
  }

  app.get('/api/search', {
    schema: {
      summary: 'Full-text search and browsing with filters and facets', querystring: Query,
      response: { 200: Result, ...problems([400, 'Invalid parameters, page × size over the window, priceMin over priceMax, or too many words'], [503, 'The search index is not available']) },
    },
  }, async (request) => {
    const started = performance.now();
    const p = request.query as SearchParams;
    // The query-string coercion turns "Infinity" and "1e400" into Infinity, which passes the schema's minimum/maximum.
    for (const name of ['priceMin', 'priceMax', 'minReviewScore'] as const) {
      if (p[name] !== undefined && !Number.isFinite(p[name])) throw validation(`${name} must be a finite number`);
    }
    if (p.page * p.size > MAX_WINDOW) throw validation(`page × size may not exceed ${MAX_WINDOW}; narrow the search instead of paging further`);
    if (p.priceMin !== undefined && p.priceMax !== undefined && p.priceMin > p.priceMax) throw validation('priceMin is greater than priceMax');
    if (p.q !== undefined && words(p.q).length > MAX_QUERY_WORDS) throw validation(`q may have at most ${MAX_QUERY_WORDS} words`);
    // Aspects in one order without repeats: the same question, the same cache entry.
    const praised = p.praised?.length ? [...new Set(p.praised)].sort() : undefined;
    const params: SearchParams = { ...p, q: p.q === undefined ? undefined : normalizeText(p.q) || undefined, praised };
    // Empty answers are not cached: cheap to recompute, and caching them would hide a newly indexed item.
    const { value, hit } = await cached<SearchResult>(cacheKey('q', params), () => options.search.search(params), (r) => r.total > 0);
    requests.inc({ step: value.correction?.step ?? (params.q ? 'strict' : 'browse'), cache: hit ? 'hit' : 'miss' });
    if (params.q && value.total === 0) zero.inc();
    if (options.recordPopular !== false && params.q && value.total > 0 && p.page === 1 && value.correction?.step !== 'relaxed') {
      const asked = (value.correction?.query ?? params.q).toLowerCase();
      options.popular.record(words(asked).join(' ')).catch((err: Error) => request.log.debug({ err }, 'popular query not recorded'));
    }
    // Every answered search is a `search` activity event (best effort: never slows or fails this answer).
    const queryId = randomUUID();
    app.activity.emit({ type: 'search', ...activityActor(request), queryId, query: normalizeQuery(params.q ?? ''), results: value.total });
    return { ...value, cached: hit, tookMs: Math.round(performance.now() - started), queryId };
  });

  app.get('/api/search/suggest', {
    schema: { summary: 'Suggestions while typing (from the second letter)', querystring: SuggestQuery, response: { 200: SuggestResult, ...problems([503, 'The search index is not available']) } },
  }, async (request) => {
    const { q } = request.query as { q: string };
    const key = normalizeText(q).toLowerCase();
    const { value } = await cached(cacheKey('s', key), async () => ({ suggestions: await options.suggest.suggest(key) }), (r) => r.suggestions.length > 0);
    return value;
  });
}

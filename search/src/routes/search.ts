import { createHash } from 'node:crypto';
import { type App, HttpProblem, Type, type Static } from '@shop/kit';
import { SORTS, buildSearch, type SearchParams } from '../query.ts';

export const MAX_WINDOW = 10_000;
export const MAX_PAGE_SIZE = 100;

const Query = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200 })),
  category: Type.Optional(Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 100 })),
  brand: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 })),
  seller: Type.Optional(Type.String({ format: 'uuid' })),
  priceMin: Type.Optional(Type.Number({ minimum: 0, maximum: 1e12 })),
  priceMax: Type.Optional(Type.Number({ minimum: 0, maximum: 1e12 })),
  inStock: Type.Optional(Type.Boolean()),
  sort: Type.Union(SORTS.map((s) => Type.Literal(s)), { default: 'relevance' }),
  page: Type.Integer({ minimum: 1, default: 1 }),
  size: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 }),
}, { additionalProperties: false });

const Bucket = Type.Object({ value: Type.String(), count: Type.Integer() });
const Result = Type.Object({
  total: Type.Integer(),
  page: Type.Integer(),
  size: Type.Integer(),
  items: Type.Array(Type.Object({
    id: Type.String(), name: Type.String(), brand: Type.String(), category: Type.String(), price: Type.String(), currency: Type.String(),
    rating: Type.Object({ average: Type.Number(), count: Type.Integer() }),
    image: Type.Union([Type.String(), Type.Null()]),
    highlight: Type.Record(Type.String(), Type.Array(Type.String())),
  })),
  facets: Type.Object({
    category: Type.Array(Bucket),
    brand: Type.Array(Bucket),
    price: Type.Array(Type.Object({ from: Type.Union([Type.Number(), Type.Null()]), to: Type.Union([Type.Number(), Type.Null()]), count: Type.Integer() })),
  }),
  cached: Type.Boolean(),
  tookMs: Type.Integer(),
});
type Result = Static<typeof Result>;

interface Doc { id: string; name: string; brand: string; category: string; price: number; currency: string; rating?: { average: number; count: number }; image?: string | null }
interface Terms { values: { buckets: { key: string; doc_count: number }[] } }
interface Ranges { values: { buckets: { from?: number; to?: number; doc_count: number }[] } }

export function registerSearchRoutes(app: App, options: { alias: string; cacheTtlMs: number }): void {
  const cacheKey = (p: SearchParams) => `search:v1:${createHash('sha1').update(JSON.stringify(p)).digest('base64url')}`;

  app.get('/api/search', { schema: { querystring: Query, response: { 200: Result } } }, async (request) => {
    const started = performance.now();
    const p = request.query as SearchParams;
    if (p.page * p.size > MAX_WINDOW) {
      throw new HttpProblem(400, `page × size may not exceed ${MAX_WINDOW}; narrow the search instead of paging further`, { type: 'urn:shop:problem:validation' });
    }
    if (p.priceMin !== undefined && p.priceMax !== undefined && p.priceMin > p.priceMax) {
      throw new HttpProblem(400, 'priceMin is greater than priceMax', { type: 'urn:shop:problem:validation' });
    }
    const key = cacheKey(p);
    if (options.cacheTtlMs > 0) {
      const hit = await app.redis.get(key).catch(() => null); // Redis down: answer from Elasticsearch
      if (hit) return { ...(JSON.parse(hit) as Result), cached: true, tookMs: Math.round(performance.now() - started) };
    }
    const res = await app.es.search<Doc, { category: Terms; brand: Terms; price: Ranges }>({ index: options.alias, ...buildSearch(p) }).catch((err: { meta?: { statusCode?: number } }) => {
      if (err.meta?.statusCode === 404) throw new HttpProblem(503, `the search index '${options.alias}' does not exist yet (item-etl creates it)`);
      throw err;
    });
    const aggs = res.aggregations!;
    const result: Result = {
      total: typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0),
      page: p.page,
      size: p.size,
      items: res.hits.hits.map((h) => ({
        id: h._source!.id, name: h._source!.name, brand: h._source!.brand, category: h._source!.category,
        price: Number(h._source!.price).toFixed(2), currency: h._source!.currency,
        rating: h._source!.rating ?? { average: 0, count: 0 }, image: h._source!.image ?? null, highlight: h.highlight ?? {},
      })),
      facets: {
        category: aggs.category.values.buckets.map((b) => ({ value: b.key, count: b.doc_count })),
        brand: aggs.brand.values.buckets.map((b) => ({ value: b.key, count: b.doc_count })),
        price: aggs.price.values.buckets.map((b) => ({ from: b.from ?? null, to: b.to ?? null, count: b.doc_count })),
      },
      cached: false,
      tookMs: 0,
    };
    // Empty answers are not cached: they are cheap to recompute, and caching them would hide a
    // newly indexed item for a whole cache lifetime.
    if (options.cacheTtlMs > 0 && result.total > 0) {
      await app.redis.set(key, JSON.stringify(result), 'PX', options.cacheTtlMs).catch(() => undefined);
    }
    return { ...result, tookMs: Math.round(performance.now() - started) };
  });
}

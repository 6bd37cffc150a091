import { Type, activityActor, problem, withHeaders, type App } from '@shop/kit';
import { withRecommendations, type RecommendationsClient } from '../repositories/recommendations.ts';
import { withReviewSummary, type ReviewSummaryClient } from '../repositories/review-summary.ts';
import type { ProductService } from '../services/products.ts';

const tags = ['products'];

const Params = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const Rating = Type.Object({ average: Type.Number(), count: Type.Integer() });
const Open = { additionalProperties: true } as const;
const RecommendationList = (what: string) => Type.Object({
  items: Type.Array(Type.Object({ id: Type.String() }, Open), { description: 'up to 8 items, search\'s compact shape' }),
  source: Type.String({ description: 'what answered (GET /api/recommendations/items/:id: also-viewed, also-bought, similar, popular-category); related: the recommendations service was unset, slow or down and the list is the page\'s related items' }),
}, { description: `items ${what} (the recommendations service, asked on every answer beside the cached page)` });

/** Documentation of the page; the answer itself is the cached JSON text, sent as is. */
const ProductPage = Type.Object({
  item: Type.Object({
    id: Type.String(), sellerId: Type.String(), version: Type.Integer(),
    article: Type.Optional(Type.Integer({ description: 'the numeric article number' })),
    available: Type.Optional(Type.Integer({ description: 'what can still be bought (stock − reserved) when the page was built; the page is cached up to PRODUCT_CACHE_TTL_MS and reservations are no item change' })),
  }, { ...Open, description: 'the item as GET /api/items/:id gives it' }),
  seller: Type.Union([Type.Object({ id: Type.String() }, { ...Open, description: 'GET /api/sellers/:id' }), Type.Null()]),
  images: Type.Array(Type.Object({
    id: Type.String(), url: Type.String(), thumbUrl: Type.String(),
    width: Type.Optional(Type.Integer()), height: Type.Optional(Type.Integer()),
  })),
  rating: Rating,
  comments: Type.Array(Type.Object({ id: Type.String() }, Open), { description: 'the newest, up to 5' }),
  related: Type.Array(Type.Object({
    id: Type.String(), name: Type.String(), brand: Type.String(), category: Type.String(), price: Type.String(), currency: Type.String(),
    rating: Rating, image: Type.Union([Type.String(), Type.Null()], { description: 'thumbnail URL' }),
  }), { description: 'up to 8 similar active items (Elasticsearch more_like_this)' }),
  alsoViewed: Type.Optional(RecommendationList('viewed in the same sessions')),
  alsoBought: Type.Optional(RecommendationList('bought in the same orders')),
  missing: Type.Optional(Type.Array(Type.String({ enum: ['seller', 'comments', 'related'] }), { description: 'parts that could not be read this time' })),
  reviewSummary: Type.Optional(Type.Object({
    count: Type.Integer(), sentiment: Type.Object({ positive: Type.Integer(), neutral: Type.Integer(), negative: Type.Integer() }), score: Type.Number(),
    aspects: Type.Array(Type.Object({ aspect: Type.String(), mentions: Type.Integer(), positive: Type.Integer(), negative: Type.Integer() })),
    praised: Type.Array(Type.String()), criticized: Type.Array(Type.String()), updatedAt: Type.Union([Type.String(), Type.Null()]),
  }, { ...Open, description: 'what the reviews say (GET /api/review-analysis/items/:id), as of now (not cached with the page); absent when review analysis does not answer in time' })),
});

export async function productRoutes(app: App, { products, reviewSummaries, recommendations }: { products: ProductService; reviewSummaries?: ReviewSummaryClient; recommendations?: RecommendationsClient }): Promise<void> {
  app.get('/api/products/:id', {
    schema: {
      tags,
      summary: 'The product page: item, seller, images, rating, latest comments, related items (cached; X-Cache: hit|miss|bypass)',
      params: Params,
      // The handler sends the cached JSON text itself (no re-serialization); the schema documents it.
      response: {
        200: withHeaders(Type.Unsafe<string>(ProductPage), { 'x-cache': { type: 'string', enum: ['hit', 'miss', 'bypass'], description: 'whether the page came from the cache' } }),
        503: problem(503, 'The catalog is unavailable', { 'retry-after': { type: 'string' } }),
      },
    },
  }, async (request, reply) => {
    const itemId = request.params.id.toLowerCase();
    const summary = reviewSummaries?.get(itemId, request.id);
    const lists = recommendations?.get(itemId, request.id);
    const { json: page, cache } = await products.get(itemId, request.id);
    const json = withRecommendations(withReviewSummary(page, await summary), (await lists) ?? {});
    // A page answered is a product view (best effort: never slows or fails the page).
    app.activity.emit({ type: 'product_view', ...activityActor(request), itemId });
    return reply.header('x-cache', cache).header('cache-control', 'no-cache').type('application/json; charset=utf-8').send(json);
  });
}

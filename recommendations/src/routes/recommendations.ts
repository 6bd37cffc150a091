import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS_ID_PATTERN, anonymousIdFrom } from '@shop/contracts';
import { Type, badRequest, notFound, problems, withHeaders, type App } from '@shop/kit';
import { anonymousActor, userActor } from '../core/events.ts';
import type { Answer, RecommendationService } from '../services/recommendations.ts';

const tags = ['recommendations'];
const strict = { additionalProperties: false } as const;
export const MAX_SIZE = 50;
export const DEFAULT_SIZE = 10;

const Size = Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SIZE, default: DEFAULT_SIZE, description: `list length (1..${MAX_SIZE}, default ${DEFAULT_SIZE})` }));
const Rating = Type.Object({ average: Type.Number(), count: Type.Integer() });
/** Search's compact item shape (GET /api/search items). */
export const CompactItem = Type.Object({
  id: Type.String({ format: 'uuid' }), article: Type.Union([Type.Integer(), Type.Null()]), name: Type.String(), brand: Type.String(), category: Type.String(),
  price: Type.String({ description: 'decimal with two fraction digits' }), currency: Type.String(), rating: Rating,
  image: Type.Union([Type.String(), Type.Null()], { description: 'thumbnail URL of the main image' }),
  highlight: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'always empty here (search\'s shape)' }),
});
const List = (sources: string[], description: string) => Type.Object({
  items: Type.Array(CompactItem, { description: 'active, in-stock items only, at most a few of one brand' }),
  source: Type.String({ enum: sources, description }),
});
const CacheHeaders = {
  'x-cache': { type: 'string', enum: ['hit', 'miss', 'bypass'], description: 'hit: from the cache; miss: computed and cached; bypass: computed without the cache (Redis unavailable, or a degraded answer)' },
  'x-degraded': { type: 'string', description: 'present when the store was unavailable and the answer is the popular list kept in memory' },
} as const;

const PopularQuery = Type.Object({
  category: Type.Optional(Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 100, description: 'a category slug: popular in that category' })),
  size: Size,
}, strict);
const ItemParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, strict);
const ItemQuery = Type.Object({
  kind: Type.Optional(Type.String({ enum: ['also-viewed', 'also-bought'], default: 'also-viewed', description: 'also-viewed: viewed in the same sessions; also-bought: bought in the same orders' })),
  size: Size,
}, strict);
const MeQuery = Type.Object({ size: Size }, strict);
const MeHeaders = Type.Object({
  'x-anonymous-id': Type.Optional(Type.String({ pattern: ANONYMOUS_ID_PATTERN, description: 'the client\'s anonymous id (required without a token; with one, its browsing counts too)' })),
});

function send(reply: FastifyReply, answer: Answer, cacheControl: string) {
  if (answer.degraded) reply.header('x-degraded', 'store-unavailable');
  return reply.header('x-cache', answer.cache).header('cache-control', cacheControl).type('application/json; charset=utf-8').send(answer.json);
}

/** The shoppers a personal list is for: the signed-in user and the anonymous id they browse with. */
function actorsOf(request: FastifyRequest): string[] {
  const identity = request.identity;
  const anonymousId = anonymousIdFrom(request.headers['x-anonymous-id']);
  const actors: string[] = [];
  if (identity && identity.role !== 'service') actors.push(userActor(identity.id));
  if (anonymousId) actors.push(anonymousActor(anonymousId));
  return actors;
}

export async function recommendationRoutes(app: App, { service }: { service: RecommendationService }): Promise<void> {
  app.get('/api/recommendations/popular', {
    schema: {
      tags, summary: 'Popular items (recent views, carts and purchases with time decay), overall or in a category',
      querystring: PopularQuery,
      response: { 200: withHeaders(List(['popular', 'newest'], 'popular; newest when the shop has too little activity yet'), CacheHeaders), ...problems([400, 'Bad query (size out of range, a category that is not a slug)']) },
    },
  }, async (request, reply) => send(reply, await service.popular(request.query.category, request.query.size ?? DEFAULT_SIZE), 'no-cache'));

  app.get('/api/recommendations/items/:id', {
    schema: {
      tags, summary: 'Items viewed or bought together with this one (cosine-normalized co-occurrence); similar content, then popular in its category, for an item with few',
      params: ItemParams, querystring: ItemQuery,
      response: {
        200: withHeaders(List(['also-viewed', 'also-bought', 'similar', 'popular-category', 'popular'], 'what answered first: the co-occurrence list, content similarity (a new item), popular in its category; popular when the store is down'), CacheHeaders),
        ...problems([400, 'Bad id or query (kind not also-viewed|also-bought, size out of range)'], [404, 'No such item']),
      },
    },
  }, async (request, reply) => {
    const id = request.params.id.toLowerCase();
    const kind = (request.query.kind ?? 'also-viewed') as 'also-viewed' | 'also-bought';
    const answer = await service.also(id, kind, request.query.size ?? DEFAULT_SIZE);
    if (!answer) throw notFound('No such item');
    return send(reply, answer, 'no-cache');
  });

  app.get('/api/recommendations/me', {
    schema: {
      tags, summary: 'Personal recommendations for the caller (signed in, or by X-Anonymous-Id): from their recent interactions through the item neighbours, without what they bought',
      querystring: MeQuery, headers: MeHeaders,
      security: [{ bearer: [] }, {}],
      response: {
        200: withHeaders(List(['personal', 'popular-category', 'popular'], 'personal; popular in the caller\'s categories when their items have no neighbours; popular for a shopper without history'), CacheHeaders),
        ...problems([400, 'Neither a token nor a valid X-Anonymous-Id, or size out of range'], 401),
      },
    },
  }, async (request, reply) => {
    const actors = actorsOf(request);
    if (!actors.length) throw badRequest('sign in or send an X-Anonymous-Id header');
    return send(reply, await service.me(actors, request.query.size ?? DEFAULT_SIZE), 'private, no-store');
  });
}

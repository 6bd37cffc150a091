import type { FastifyRequest } from 'fastify';
import { badRequest, noContent, problem, problems, requireAuth, trimBodyFields, unauthorized, withHeaders, type App } from '@shop/kit';
import type { Identity } from '@shop/contracts';
import type { CategoryService } from '../services/categories.ts';
import { parseIfMatch, type ItemService } from '../services/items.ts';
import { CreateItemBody, IdParams, IfMatchHeaders, ItemPageView, ItemView, ListItemsQuery, PatchItemBody, READ_ONLY_ITEM_FIELDS, RequiredIfMatchHeaders, setCategoryChoices } from './schemas.ts';

const tags = ['items'];
const etag = (version: number) => `"${version}"`;
const ETAG = { etag: { type: 'string', description: 'the item version, quoted ("3"): send it back in If-Match' } };
const LOCATION = { location: { type: 'string', description: 'where the new resource is' } };

/** Before validation: read-only fields get a 400 naming them. */
async function prepareItemBody(request: FastifyRequest): Promise<void> {
  const body = request.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const readOnly = READ_ONLY_ITEM_FIELDS.filter((f) => f in body);
  if (readOnly.length > 0) {
    throw badRequest(`These fields are set by the server and may not be given: ${readOnly.join(', ')}`,
      readOnly.map((f) => ({ location: 'body', pointer: `/${f}`, message: `'${f}' is read-only` })));
  }
}

/** After validation (the limits apply to the text as sent): names and brands are stored trimmed. */
const trimItemText = trimBodyFields('name', 'brand');

/** A missing If-Match is a 428 (the contract's answer), not the schema's 400. */
async function requireIfMatch(request: FastifyRequest): Promise<void> {
  parseIfMatch(request.headers['if-match'], true);
}

/** The verified caller (after requireAuth). */
const caller = (request: FastifyRequest): Identity => {
  if (!request.identity) throw unauthorized();
  return request.identity;
};

export async function itemRoutes(app: App, { items, categories }: { items: ItemService; categories: CategoryService }): Promise<void> {
  const writers = requireAuth('seller', 'admin');
  setCategoryChoices(await categories.leafSlugs());
  /** Unknown and non-leaf categories get a 400 that names them and the choices, before the schema's enum. */
  const knownCategory = async (request: FastifyRequest) => {
    const category = (request.body as { category?: unknown } | null)?.category;
    if (typeof category === 'string') await categories.assertLeaf(category);
  };

  app.post('/api/items', {
    schema: { tags, summary: 'Create an item (seller, admin)', body: CreateItemBody, response: { 201: withHeaders(ItemView, { ...ETAG, ...LOCATION }) } },
    preValidation: [writers, prepareItemBody, knownCategory],
    preHandler: trimItemText,
  }, async (request, reply) => {
    const item = await items.create(caller(request), request.body);
    return reply.code(201).header('etag', etag(item.version)).header('location', `/api/items/${item.id}`).send(item);
  });

  app.get('/api/items/:id', {
    schema: { tags, summary: 'An item (deleted items are 404)', params: IdParams, response: { 200: withHeaders(ItemView, ETAG) } },
  }, async (request, reply) => {
    const item = await items.get(request.params.id, request.identity);
    return reply.header('etag', etag(item.version)).header('cache-control', 'no-cache').send(item);
  });

  app.get('/api/items', {
    schema: { tags, summary: "A page of items, newest first (a seller's listing with sellerId)", querystring: ListItemsQuery, response: { 200: ItemPageView } },
  }, async (request) => items.list(request.query, request.identity));

  app.patch('/api/items/:id', {
    schema: {
      tags, summary: 'Change some fields (owner seller, admin); needs If-Match: <version>',
      params: IdParams, headers: RequiredIfMatchHeaders, body: PatchItemBody,
      response: { 200: withHeaders(ItemView, ETAG), ...problems([409, 'stock below the units reserved for orders (reserved)'], 412, [428, 'If-Match is missing']) },
    },
    preValidation: [writers, prepareItemBody, requireIfMatch, knownCategory],
    preHandler: trimItemText,
  }, async (request, reply) => {
    const version = parseIfMatch(request.headers['if-match'], true)!;
    const item = await items.update(caller(request), request.params.id, version, request.body);
    return reply.header('etag', etag(item.version)).send(item);
  });

  app.delete('/api/items/:id', {
    schema: {
      tags, summary: 'Delete an item (owner seller, admin); If-Match optional', params: IdParams, headers: IfMatchHeaders,
      response: { 204: noContent('Deleted; ETag is the final version', ETAG), 412: problem(412) },
    },
    preValidation: writers,
  }, async (request, reply) => {
    const version = await items.delete(caller(request), request.params.id, parseIfMatch(request.headers['if-match'], false));
    return reply.code(204).header('etag', etag(version)).send();
  });
}

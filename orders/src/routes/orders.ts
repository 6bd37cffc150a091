import type { FastifyRequest } from 'fastify';
import { Type, notFound, problems, requireAuth, unauthorized, withHeaders, type App } from '@shop/kit';
import type { Caller, OrderService } from '../services/orders.ts';
import { ListQuery, Order, OrderPage, UidParams } from './schemas.ts';

const tags = ['orders'];
const JSON_TYPE = 'application/json; charset=utf-8';

/** The verified caller (after requireAuth). */
const callerOf = (request: FastifyRequest): Caller => {
  if (!request.identity) throw unauthorized();
  return { id: request.identity.id, role: request.identity.role };
};

export async function orderRoutes(app: App, { orders }: { orders: OrderService }): Promise<void> {
  const person = requireAuth();

  app.get('/api/orders/:uid', {
    schema: {
      tags, summary: 'One order: the document, its status and history (its customer and admins; anyone else 404)',
      params: UidParams,
      response: {
        200: withHeaders(Type.Unsafe<string>(Order), { 'x-cache': { type: 'string', enum: ['hit', 'miss'], description: 'hit: from the cache; miss: from the database' } }),
        ...problems([404, 'No such order the caller may see']),
      },
    },
    preValidation: person,
  }, async (request, reply) => {
    const found = await orders.get(request.params.uid, callerOf(request));
    if (!found) throw notFound(`No order ${request.params.uid}`);
    return reply.header('cache-control', 'private, no-store').header('x-cache', found.cache).type(JSON_TYPE).send(found.json);
  });

  app.get('/api/orders', {
    schema: {
      tags, summary: "Orders, newest first: a customer's own; an admin's all, or one customer's with customerId",
      querystring: ListQuery,
      response: { 200: Type.Unsafe<string>(OrderPage), ...problems([400, 'Bad query (page or size out of range, customerId too long)']) },
    },
    preValidation: person,
  }, async (request, reply) => {
    const { page, size, customerId } = request.query;
    const json = await orders.list(callerOf(request), { page, size, customerId });
    return reply.header('cache-control', 'private, no-store').type(JSON_TYPE).send(json);
  });
}

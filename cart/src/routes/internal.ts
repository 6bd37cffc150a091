import { problem, problems, requireService, type App } from '@shop/kit';
import type { CartService } from '../services/cart.ts';
import { ClearQuery, ClearResult, InternalCartView, UserParams } from './schemas.ts';

const tags = ['internal'];
const storeDown = problem(503, 'The cart store is unavailable', { 'retry-after': { type: 'string' } });

/**
 * Service-to-service routes for loms (never routed by the proxy; the kit hides them from the document).
 * Read with `cart:read`, clear after an order with `cart:write`.
 */
export async function internalRoutes(app: App, { cart }: { cart: CartService }): Promise<void> {
  app.get('/internal/carts/:userId', {
    schema: {
      tags, summary: "A user's cart as stored (version, the price each line was added at) with current prices, stock and sellers",
      params: UserParams, response: { 200: InternalCartView, ...problems(403), 503: storeDown },
    },
    preValidation: requireService('cart:read'),
  }, async (request, reply) => {
    const view = await cart.internalView(request.params.userId.toLowerCase(), request.id);
    return reply.header('etag', `"${view.version}"`).header('cache-control', 'no-store').send(view);
  });

  app.delete('/internal/carts/:userId', {
    schema: {
      tags, summary: 'After an order: remove the lines as they were at ?upToVersion= (the version the order was made from); lines changed since stay',
      params: UserParams, querystring: ClearQuery, response: { 200: ClearResult, ...problems(403), 503: storeDown },
    },
    preValidation: requireService('cart:write'),
  }, async (request) => cart.clearOrdered(request.params.userId.toLowerCase(), request.query.upToVersion));
}

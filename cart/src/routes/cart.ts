import type { FastifyRequest } from 'fastify';
import { activityActor, noContent, problem, problems, requireAuth, unauthorized, type App } from '@shop/kit';
import type { CartChange, CartService } from '../services/cart.ts';
import { CartView, ItemParams, QuantityBody } from './schemas.ts';

const tags = ['cart'];
const RETRY_AFTER = { 'retry-after': { type: 'string', description: 'seconds to wait' } };
const storeDown = problem(503, 'The cart store (or, for a change, the catalog) is unavailable', RETRY_AFTER);

/** The verified caller's id (after requireAuth): a cart is only ever the caller's own. */
const owner = (request: FastifyRequest): string => {
  if (!request.identity) throw unauthorized();
  return request.identity.id;
};

export async function cartRoutes(app: App, { cart }: { cart: CartService }): Promise<void> {
  // People have carts (customers, sellers and admins alike); a service identity does not.
  const shopper = requireAuth('customer', 'seller', 'admin');
  /** add_to_cart / remove_from_cart activity events of a stored change (best effort: never slows or fails the request). */
  const track = (request: FastifyRequest) => (change: CartChange) => {
    app.activity.emit({
      type: change.delta > 0 ? 'add_to_cart' : 'remove_from_cart', ...activityActor(request), itemId: change.itemId, quantity: Math.min(Math.abs(change.delta), 1_000),
      ...(change.delta > 0 && change.price ? { value: change.price, currency: change.currency } : {}),
    });
  };

  app.get('/api/cart', {
    schema: {
      tags, summary: "The caller's cart with prices and availability as they are now",
      response: { 200: CartView, 503: storeDown },
    },
    preValidation: shopper,
  }, async (request, reply) => {
    const view = await cart.view(owner(request), request.id);
    return reply.header('cache-control', 'no-store').send(view);
  });

  app.put('/api/cart/items/:itemId', {
    schema: {
      tags, summary: "Set an item's quantity in the caller's cart (adds the line when new)",
      params: ItemParams, body: QuantityBody,
      response: {
        200: CartView,
        ...problems([404, 'No such item'], [409, 'The item is no longer sold or sold out, the cart is full (100 lines), or the item is in another currency than the cart']),
        503: storeDown,
      },
    },
    preValidation: shopper,
  }, async (request) => cart.setQuantity(owner(request), request.params.itemId.toLowerCase(), request.body.quantity, request.id, track(request)));

  app.delete('/api/cart/items/:itemId', {
    schema: {
      tags, summary: "Remove an item from the caller's cart (absent: the cart as it is)",
      params: ItemParams, response: { 200: CartView, 503: storeDown },
    },
    preValidation: shopper,
  }, async (request) => cart.remove(owner(request), request.params.itemId.toLowerCase(), request.id, track(request)));

  app.delete('/api/cart', {
    schema: { tags, summary: "Empty the caller's cart", response: { 204: noContent('Emptied'), 503: storeDown } },
    preValidation: shopper,
  }, async (request, reply) => {
    await cart.clear(owner(request), track(request));
    return reply.code(204).send();
  });
}

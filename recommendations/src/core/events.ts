// From the contracts' events to what the model counts (pure).
import type { ActivityEvent, ItemSnapshot, OrderEvent } from '@shop/contracts';
import type { ItemInfo, ModelEvent } from './model.ts';

/**
 * The anonymous id the kit's emitter gives a request that carried neither a token nor an X-Anonymous-Id: not one
 * shopper but every such visitor (and crawler) at once.
 */
export const NO_IDENTITY = 'anonymous';

/**
 * The shopper an activity belongs to: the signed-in user, else the anonymous id; '' for a visitor without identity
 * (their views count for popularity, but they have no history and no session to pair items in).
 */
export const actorOf = (e: { userId?: string; anonymousId: string }): string =>
  e.userId ? `user:${e.userId.toLowerCase()}` : e.anonymousId === NO_IDENTITY ? '' : `anon:${e.anonymousId}`;
export const userActor = (userId: string) => `user:${userId.toLowerCase()}`;
export const anonymousActor = (anonymousId: string) => `anon:${anonymousId}`;

/**
 * product_view is a view, add_to_cart a cart; the rest is not an interaction with an item the model uses: a
 * search_click is followed by the product_view the facade reports (counting both would double it), a purchase comes
 * from order-events itself (analytics derives the `purchase` activity from the same order.paid), remove_from_cart,
 * search and page_view name no preference. The session is the client's sessionId, else the shopper.
 */
export function fromActivity(e: ActivityEvent): Extract<ModelEvent, { kind: 'view' | 'cart' }> | null {
  const kind = e.type === 'product_view' ? 'view' : e.type === 'add_to_cart' ? 'cart' : null;
  if (!kind || !e.itemId) return null;
  const actor = actorOf(e);
  return { kind, actor, item: e.itemId.toLowerCase(), at: Date.parse(e.occurredAt), session: !actor ? '' : e.sessionId ? `session:${e.sessionId}` : actor };
}

/** An order is a purchase when it is paid (order.paid); other order events change nothing here. */
export function fromOrder(e: OrderEvent): Extract<ModelEvent, { kind: 'purchase' }> | null {
  if (e.type !== 'order.paid') return null;
  return { kind: 'purchase', actor: userActor(e.data.customerId), items: [...new Set(e.data.lines.map((l) => l.itemId.toLowerCase()))].sort(), at: Date.parse(e.occurredAt), order: e.data.orderUid };
}

export const itemInfo = (s: ItemSnapshot): ItemInfo => ({ id: s.id.toLowerCase(), category: s.category, brand: s.brand, status: s.status, stock: s.stock });
export const isAvailable = (i: { status: string; stock: number } | undefined): boolean => !!i && i.status === 'active' && i.stock > 0;

/** The main image's object key: the lowest position. */
export const mainImageKey = (s: ItemSnapshot): string | null => [...s.images].sort((a, b) => a.position - b.position)[0]?.key ?? null;

// The services loms calls directly (never through the proxy), with its service token (kit ServiceTokens):
// the cart (cart:read, cart:write) and item-crud's reservations (stock:reserve).
import type { ServiceTokens } from '@shop/kit';

export interface CartLine { itemId: string; quantity: number; available: boolean }
export interface InternalCart { userId: string; version: number; items: CartLine[] }

export interface ReservationLine { itemId: string; article: number; sellerId: string; name: string; brand: string; quantity: number; price: string; currency: string }
export interface Reservation { orderUid: string; state: 'held' | 'committed' | 'released'; lines: ReservationLine[] }

/** An upstream answer that is neither success nor a known refusal (5xx, timeouts): the checkout cannot go on. */
export class UpstreamError extends Error {
  readonly service: string;
  readonly status: number | undefined;
  constructor(service: string, status: number | undefined, detail: string) {
    super(`${service}: ${detail}`);
    this.service = service;
    this.status = status;
  }
}

export interface Answer<T> { status: number; body: T }

export class Upstreams {
  private readonly tokens: ServiceTokens;
  private readonly urls: { cart: string; itemCrud: string };
  private readonly timeoutMs: number;
  constructor(tokens: ServiceTokens, urls: { cart: string; itemCrud: string }, timeoutMs: number) {
    this.tokens = tokens;
    this.urls = urls;
    this.timeoutMs = timeoutMs;
  }

  private async call<T>(service: string, url: string, init: { method?: string; body?: unknown; requestId?: string } = {}): Promise<Answer<T>> {
    let res: Response;
    try {
      res = await this.tokens.fetch(url, {
        method: init.method ?? 'GET',
        headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(init.requestId ? { 'x-request-id': init.requestId } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new UpstreamError(service, undefined, (err as Error).message);
    }
    const text = await res.text();
    if (res.status >= 500 || res.status === 401 || res.status === 403) throw new UpstreamError(service, res.status, `${res.status} ${text.slice(0, 300)}`);
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async cart(userId: string, requestId?: string): Promise<InternalCart> {
    const { status, body } = await this.call<InternalCart>('cart', `${this.urls.cart}/internal/carts/${userId}`, { requestId });
    if (status !== 200) throw new UpstreamError('cart', status, `reading the cart answered ${status}`);
    return body;
  }

  async clearCart(userId: string, upToVersion: number, requestId?: string): Promise<void> {
    const { status } = await this.call('cart', `${this.urls.cart}/internal/carts/${userId}?upToVersion=${upToVersion}`, { method: 'DELETE', requestId });
    if (status !== 200) throw new UpstreamError('cart', status, `clearing the cart answered ${status}`);
  }

  reserve(orderUid: string, lines: { itemId: string; quantity: number }[], requestId?: string) {
    return this.call<Reservation & Record<string, unknown>>('item-crud', `${this.urls.itemCrud}/internal/reservations`, { method: 'POST', body: { orderUid, lines }, requestId });
  }

  /** commit | release | restock of the order's reservation. */
  reservationAction(orderUid: string, action: 'commit' | 'release' | 'restock', requestId?: string) {
    return this.call<Reservation & Record<string, unknown>>('item-crud', `${this.urls.itemCrud}/internal/reservations/${encodeURIComponent(orderUid)}/${action}`, { method: 'POST', requestId });
  }
}

/**
 * item-crud over HTTP: the item, its seller and its latest comments, each with its own time limit.
 * The kit's undici instrumentation opens a client span per call and sends its `traceparent`, so
 * item-crud continues the trace of the request that made the facade build the page.
 */
import type { FacadeMetrics } from '../metrics.ts';

/** The item is the page: it gets the longest budget. Seller and comments are optional parts. */
export const ITEM_TIMEOUT_MS = 2_000;
export const SELLER_TIMEOUT_MS = 1_000;
export const COMMENTS_TIMEOUT_MS = 1_000;
/** How many comments the page shows. */
export const PAGE_COMMENTS = 5;

export type UpstreamSource = 'item' | 'seller' | 'comments' | 'related';

/** A source did not answer usefully: timed out, unreachable, answered 5xx/unexpected status, or sent a body we do not understand. */
export class UpstreamError extends Error {
  readonly source: UpstreamSource;
  readonly reason: 'timeout' | 'unreachable' | 'status' | 'invalid';
  constructor(source: UpstreamSource, reason: UpstreamError['reason'], message: string, options?: { cause?: unknown }) {
    super(`${source}: ${message}`, options);
    this.name = 'UpstreamError';
    this.source = source;
    this.reason = reason;
  }
}

export interface ItemImageJson { id: string; url?: string; thumbUrl?: string; width?: number; height?: number; contentType?: string; position?: number }
export interface Rating { average: number; count: number }
export interface ItemJson {
  id: string;
  sellerId: string;
  status?: string;
  version?: number;
  images?: ItemImageJson[];
  rating?: Rating;
  [field: string]: unknown;
}
export interface SellerJson { id: string; [field: string]: unknown }
export interface CommentJson { id: string; [field: string]: unknown }
export interface CommentsJson { total: number; items: CommentJson[]; rating?: Rating }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ItemCrudClient {
  readonly #base: string;
  readonly #metrics: FacadeMetrics;
  constructor(baseUrl: string, metrics: FacadeMetrics) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#metrics = metrics;
  }

  /** The public item, or null when item-crud says 404 (unknown, deleted or hidden). */
  async item(id: string, requestId?: string): Promise<ItemJson | null> {
    const body = await this.#get('item', `/api/items/${id}`, ITEM_TIMEOUT_MS, requestId);
    if (body === null) return null;
    if (!isObject(body) || body.id !== id || typeof body.sellerId !== 'string') throw this.#invalid('item');
    return body as ItemJson;
  }

  async seller(id: string, requestId?: string): Promise<SellerJson | null> {
    const body = await this.#get('seller', `/api/sellers/${id}`, SELLER_TIMEOUT_MS, requestId);
    if (body === null) return null;
    if (!isObject(body) || body.id !== id) throw this.#invalid('seller');
    return body as SellerJson;
  }

  /** The newest comments (item-crud orders them newest first) and the rating summary. */
  async comments(itemId: string, requestId?: string): Promise<CommentsJson | null> {
    const body = await this.#get('comments', `/api/items/${itemId}/comments?page=1&size=${PAGE_COMMENTS}`, COMMENTS_TIMEOUT_MS, requestId);
    if (body === null) return null;
    if (!isObject(body) || !Array.isArray(body.items)) throw this.#invalid('comments');
    return body as unknown as CommentsJson;
  }

  #invalid(source: UpstreamSource): UpstreamError {
    this.#metrics.upstream.inc({ source, outcome: 'invalid' });
    return new UpstreamError(source, 'invalid', 'item-crud answered a body of an unexpected shape');
  }

  /** JSON body of a 200, null for a 404; anything else throws an UpstreamError. */
  async #get(source: UpstreamSource, path: string, timeoutMs: number, requestId?: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, {
        headers: { accept: 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      this.#metrics.upstream.inc({ source, outcome: timeout ? 'timeout' : 'unreachable' });
      throw new UpstreamError(source, timeout ? 'timeout' : 'unreachable', timeout ? `no answer within ${timeoutMs} ms` : 'item-crud is not reachable', { cause: err });
    }
    try {
      if (res.status === 404) {
        await res.body?.cancel();
        this.#metrics.upstream.inc({ source, outcome: 'not_found' });
        return null;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        this.#metrics.upstream.inc({ source, outcome: 'error' });
        throw new UpstreamError(source, 'status', `item-crud answered ${res.status}`);
      }
      const body: unknown = await res.json();
      this.#metrics.upstream.inc({ source, outcome: 'ok' });
      return body;
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      const timeout = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      this.#metrics.upstream.inc({ source, outcome: timeout ? 'timeout' : 'invalid' });
      throw new UpstreamError(source, timeout ? 'timeout' : 'invalid', timeout ? `body not read within ${timeoutMs} ms` : 'the body is not JSON', { cause: err });
    }
  }
}

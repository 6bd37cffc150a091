/**
 * item-crud's public `GET /api/items/:id`, the source of current prices, stock and status. Anonymous on
 * purpose: the cart shows what any shopper can buy, so a hidden item is gone here even for its seller.
 * The kit's undici instrumentation sends the caller's `traceparent`; the request id is forwarded too.
 */

/** The parts of an item the cart uses. */
export interface CatalogItem {
  id: string;
  name: string;
  price: string;
  currency: string;
  /** What can be bought now: item-crud's `available` (stock − reserved) where it sends it, else `stock`. */
  stock: number;
  status: string;
  sellerId: string;
  article: number | null;
  brand: string;
  /** The first image's thumbnail URL, or null. */
  image: string | null;
}

/** found: the item; gone: item-crud says 404 (unknown, deleted or hidden); failed: no usable answer. */
export type Lookup =
  | { kind: 'found'; item: CatalogItem }
  | { kind: 'gone' }
  | { kind: 'failed'; reason: 'timeout' | 'unreachable' | 'status' | 'invalid' };

export type LookupOutcome = 'found' | 'gone' | Extract<Lookup, { kind: 'failed' }>['reason'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields the cart needs, or undefined when the body is not an item of that id. */
export function toCatalogItem(id: string, body: unknown): CatalogItem | undefined {
  if (!isObject(body) || body.id !== id) return undefined;
  const { name, price, currency, status, sellerId, brand, article, images } = body;
  const stock = typeof body.available === 'number' ? body.available : body.stock;
  if (typeof name !== 'string' || typeof price !== 'string' || typeof currency !== 'string' || typeof status !== 'string') return undefined;
  if (typeof stock !== 'number' || !Number.isInteger(stock) || typeof sellerId !== 'string') return undefined;
  const pictures = (Array.isArray(images) ? images : []).filter(isObject)
    .sort((a, b) => Number(a.position ?? 0) - Number(b.position ?? 0));
  const first = pictures[0];
  const image = typeof first?.thumbUrl === 'string' ? first.thumbUrl : typeof first?.url === 'string' ? first.url : null;
  return {
    id, name, price, currency, stock, status, sellerId, image,
    brand: typeof brand === 'string' ? brand : '',
    article: typeof article === 'number' ? article : null,
  };
}

export class CatalogClient {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #onOutcome: (outcome: LookupOutcome) => void;
  constructor(baseUrl: string, options: { timeoutMs: number; onOutcome?: (outcome: LookupOutcome) => void }) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#onOutcome = options.onOutcome ?? (() => undefined);
  }

  async item(id: string, requestId?: string): Promise<Lookup> {
    const lookup = await this.#lookup(id, requestId);
    this.#onOutcome(lookup.kind === 'failed' ? lookup.reason : lookup.kind);
    return lookup;
  }

  /** Every id looked up, at most `concurrency` at a time. */
  async items(ids: string[], concurrency: number, requestId?: string): Promise<Map<string, Lookup>> {
    const results = new Map<string, Lookup>();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        results.set(id, await this.item(id, requestId));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
    return results;
  }

  async #lookup(id: string, requestId?: string): Promise<Lookup> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const timedOut = () => signal.aborted;
    let res: Response;
    try {
      res = await fetch(`${this.#base}/api/items/${encodeURIComponent(id)}`, {
        headers: { accept: 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) }, signal,
      });
    } catch {
      return { kind: 'failed', reason: timedOut() ? 'timeout' : 'unreachable' };
    }
    try {
      if (res.status === 404) {
        await res.body?.cancel();
        return { kind: 'gone' };
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        return { kind: 'failed', reason: 'status' };
      }
      const item = toCatalogItem(id, await res.json());
      return item ? { kind: 'found', item } : { kind: 'failed', reason: 'invalid' };
    } catch {
      return { kind: 'failed', reason: timedOut() ? 'timeout' : 'invalid' };
    }
  }
}

// Reads of the order store: the cache first (a hit is sent as cached), PostgreSQL on a miss or when Redis
// fails (the answer is then cached). Visibility: the order's customer (customer_id = the caller's user id)
// and admins; anyone else is told it does not exist.
import type { OrderRepository, StoredOrder } from '../repositories/orders.ts';
import type { OrderCache } from './cache.ts';
import type { OrderDocument } from './validation.ts';

export interface Caller { id: string; role: string }

const visibleTo = (order: StoredOrder, caller: Caller) => caller.role === 'admin' || order.customerId === caller.id;

export class OrderService {
  readonly #repo: OrderRepository;
  readonly #cache: OrderCache;
  constructor(repo: OrderRepository, cache: OrderCache) {
    this.#repo = repo;
    this.#cache = cache;
  }

  /** The answer's JSON text, or undefined when there is no such order the caller may see. */
  async get(orderUid: string, caller: Caller): Promise<{ json: string; cache: 'hit' | 'miss' } | undefined> {
    const cached = await this.#cache.get(orderUid);
    if (cached) return visibleTo(cached, caller) ? { json: cached.json, cache: 'hit' } : undefined;
    const order = await this.#repo.find(orderUid);
    if (!order) return undefined;
    // Redis answered a miss (not an error): fill it.
    if (cached === null) await this.#cache.put([{ orderUid, order }]);
    return visibleTo(order, caller) ? { json: order.json, cache: 'miss' } : undefined;
  }

  /** A page (1-based) of orders, newest first: a customer's own; an admin's all or one customer's. */
  async list(caller: Caller, options: { page: number; size: number; customerId?: string }): Promise<string> {
    let customerId = options.customerId;
    if (caller.role !== 'admin') {
      // Someone else's id as the filter: an empty page (never their orders).
      if (customerId !== undefined && customerId !== caller.id) return JSON.stringify({ page: options.page, size: options.size, total: 0, items: [] });
      customerId = caller.id;
    }
    const { total, items } = await this.#repo.list({ customerId, offset: (options.page - 1) * options.size, limit: options.size });
    return `{"page":${options.page},"size":${options.size},"total":${total},"items":[${items.map((i) => i.json).join(',')}]}`;
  }

  /** Caches the most recent orders (at start); answers how many were cached (0 when Redis failed). */
  async warm(count: number, chunk = 500): Promise<number> {
    if (!this.#cache.enabled || count === 0) return 0;
    const uids = await this.#repo.recentUids(count);
    let cached = 0;
    // Oldest first, so the most recent are the most recently used in the LRU index.
    for (let end = uids.length; end > 0; end -= chunk) {
      const orders = await this.#repo.findMany(uids.slice(Math.max(0, end - chunk), end));
      if (!(await this.#cache.put(orders.map((order) => ({ orderUid: order.orderUid, order }))))) return cached;
      cached += orders.length;
    }
    return cached;
  }

  /**
   * After a batch of new orders committed: cache them as stored. An order without status events is its document
   * with `status: null, history: []`, built here; the few with events (they came first) are read back.
   */
  async cacheStored(docs: OrderDocument[]): Promise<void> {
    if (!this.#cache.enabled || docs.length === 0) return;
    const withEvents = new Set(await this.#repo.withStatus(docs.map((d) => d.order_uid)));
    const built = docs.filter((d) => !withEvents.has(d.order_uid))
      .map((doc) => ({ orderUid: doc.order_uid, order: { customerId: doc.customer_id, json: JSON.stringify({ ...doc, status: null, history: [] }) } }));
    // Only where nothing is cached: a status event handled meanwhile may have cached the newer answer already.
    if (!(await this.#cache.put(built))) return;
    if (withEvents.size) await this.refresh([...withEvents]);
  }

  /**
   * After a committed write (new orders, a status change): cache these orders as they are now, replacing what
   * is cached. If that fails the cached answer is dropped (and if Redis is down altogether, CACHE_TTL_SECONDS
   * bounds how long an older status can be served).
   */
  async refresh(orderUids: string[]): Promise<void> {
    if (!this.#cache.enabled || orderUids.length === 0) return;
    const orders = await this.#repo.findMany(orderUids);
    if (!(await this.#cache.put(orders.map((order) => ({ orderUid: order.orderUid, order })), true))) await this.#cache.drop(orderUids);
  }
}

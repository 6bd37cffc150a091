// The Redis cache of order answers (document + status + history), bounded with least-recently-used
// eviction: every cached order is a member of one sorted set scored by its last use; a write that makes
// the set larger than `maxEntries` removes the least recently used ones with their keys (one Lua script,
// atomic). A read moves the order up. The value is `<customer id>\n<answer JSON>`, so a hit is checked for
// ownership and sent without parsing. Every failure (Redis down, slow) is a miss: PostgreSQL answers.
import type { Redis } from 'ioredis';
import type { StoredOrder } from '../repositories/orders.ts';

const INDEX_KEY = 'orders:lru';
const keyOf = (orderUid: string) => `orders:doc:${orderUid}`;

/**
 * KEYS[1] the index, KEYS[2..] the order keys (the key prefix is applied to KEYS by ioredis and the index
 * members are those full names, so eviction deletes the right keys); ARGV[1] now (ms), ARGV[2] max entries,
 * ARGV[3] TTL (s), ARGV[4] 'nx' (only orders not cached yet) or 'set', ARGV[5..] the values.
 */
const PUT_SCRIPT = `
local now, max, ttl, nx = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == 'nx'
for i = 2, #KEYS do
  if not nx or redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('SET', KEYS[i], ARGV[i + 3], 'EX', ttl)
    redis.call('ZADD', KEYS[1], now, KEYS[i])
  end
end
local over = redis.call('ZCARD', KEYS[1]) - max
if over > 0 then
  local evicted = redis.call('ZPOPMIN', KEYS[1], over)
  for i = 1, #evicted, 2 do redis.call('DEL', evicted[i]) end
  return over
end
return 0`;

/** On a hit: the value, and the order moved up in the index (only if it is still a member). */
const GET_SCRIPT = `
local value = redis.call('GET', KEYS[2])
if value then redis.call('ZADD', KEYS[1], 'XX', ARGV[1], KEYS[2]) end
return value`;

export type CacheOutcome = 'hit' | 'miss' | 'error';

export interface OrderCacheOptions {
  maxEntries: number;
  ttlSeconds: number;
  timeoutMs: number;
  onOutcome?: (outcome: CacheOutcome) => void;
  onEvicted?: (count: number) => void;
  onError?: (err: unknown) => void;
}

interface CacheCommands {
  ordersPut(...args: (string | number)[]): Promise<number>;
  ordersGet(...args: (string | number)[]): Promise<string | null>;
}

export class OrderCache {
  readonly #redis: Redis & CacheCommands;
  readonly #o: OrderCacheOptions;

  constructor(redis: Redis, options: OrderCacheOptions) {
    if (!('ordersPut' in redis)) {
      redis.defineCommand('ordersPut', { lua: PUT_SCRIPT });
      redis.defineCommand('ordersGet', { numberOfKeys: 2, lua: GET_SCRIPT });
    }
    this.#redis = redis as Redis & CacheCommands;
    this.#o = options;
  }

  get enabled(): boolean {
    return this.#o.maxEntries > 0;
  }

  async #timed<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([work, new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`redis did not answer in ${this.#o.timeoutMs} ms`)), this.#o.timeoutMs);
      })]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The cached order, null on a miss, undefined when the cache failed (both: read PostgreSQL). */
  async get(orderUid: string): Promise<StoredOrder | null | undefined> {
    if (!this.enabled) return null;
    try {
      const value = await this.#timed(this.#redis.ordersGet(INDEX_KEY, keyOf(orderUid), Date.now()));
      const cut = value === null ? -1 : value.indexOf('\n');
      if (value === null || cut < 0) {
        this.#o.onOutcome?.('miss');
        return null;
      }
      this.#o.onOutcome?.('hit');
      return { customerId: value.slice(0, cut), json: value.slice(cut + 1) };
    } catch (err) {
      this.#o.onOutcome?.('error');
      this.#o.onError?.(err);
      return undefined;
    }
  }

  /**
   * Caches orders; false when the cache failed (nothing else happens). `fresh`: read after the last write to them
   * (fill on write, after a status change), so they replace what is cached; otherwise (fill on a miss, warm-up)
   * they are cached only where nothing is: a read that began before a write must not put back the older answer
   * the write's own fill already replaced.
   */
  async put(orders: { orderUid: string; order: StoredOrder }[], fresh = false): Promise<boolean> {
    if (!this.enabled || orders.length === 0) return true;
    try {
      const keys = orders.map((o) => keyOf(o.orderUid));
      const values = orders.map((o) => `${o.order.customerId}\n${o.order.json}`);
      const evicted = await this.#timed(this.#redis.ordersPut(1 + keys.length, INDEX_KEY, ...keys, Date.now(), this.#o.maxEntries, this.#o.ttlSeconds, fresh ? 'set' : 'nx', ...values));
      if (evicted > 0) this.#o.onEvicted?.(evicted);
      return true;
    } catch (err) {
      this.#o.onError?.(err);
      return false;
    }
  }

  /** Forgets orders (their status changed); false when the cache failed. */
  async drop(orderUids: string[]): Promise<boolean> {
    if (!this.enabled || orderUids.length === 0) return true;
    try {
      const keys = orderUids.map(keyOf);
      // The index holds the prefixed names: ZREM them as ioredis would prefix a key.
      const prefix = this.#redis.options.keyPrefix ?? '';
      await this.#timed(this.#redis.multi().del(...keys).zrem(INDEX_KEY, ...keys.map((k) => `${prefix}${k}`)).exec());
      return true;
    } catch (err) {
      this.#o.onError?.(err);
      return false;
    }
  }

  /** Entries in the cache now (tests, metrics). */
  async size(): Promise<number> {
    return this.#timed(this.#redis.zcard(INDEX_KEY));
  }
}

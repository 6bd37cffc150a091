/**
 * The product page cache in Redis. Per item:
 *   product:<id>       the composed page (JSON), with a TTL
 *   product:gen:<id>   the item's invalidation generation (INCR on every invalidation)
 *   product:lock:<id>  the rebuild lock (SET NX PX), owned by a random token
 * A rebuild reads the generation together with the miss and stores its page only if the
 * generation is still the same (compare-and-set in Lua): a rebuild that read the sources before an
 * invalidation can never write its stale page after it.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Every Redis call on the request path gives up after this long (the page is then served uncached). */
export const REDIS_OP_TIMEOUT_MS = 150;
/** Generation counters outlive any page and any rebuild by far; an idle one expires. */
export const GENERATION_TTL_MS = 7 * 24 * 3600 * 1000;
/** One invalidation round trip (the consumer retries a failed one with backoff). */
export const INVALIDATE_TIMEOUT_MS = 2_000;

export const pageKey = (id: string) => `product:${id}`;
export const generationKey = (id: string) => `product:gen:${id}`;
export const lockKey = (id: string) => `product:lock:${id}`;

/** A cached page, or the generation (and lock state) seen with the miss. */
export type CacheRead = { page: string } | { page: null; generation: string; locked: boolean };

/** Redis is not connected, failed or was too slow: the caller serves without the cache. */
export class CacheUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheUnavailableError';
  }
}

const READ = `
local page = redis.call('GET', KEYS[1])
if page then return {1, page} end
return {0, redis.call('GET', KEYS[2]) or '', redis.call('EXISTS', KEYS[3])}`;

const STORE_IF_GENERATION = `
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const INVALIDATE = `
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface ScriptedRedis extends Redis {
  productRead(page: string, gen: string, lock: string): Promise<[1, string] | [0, string, number]>;
  productStore(page: string, gen: string, generation: string, value: string, ttlMs: number): Promise<number>;
  productInvalidate(page: string, gen: string, genTtlMs: number): Promise<number>;
  productRelease(lock: string, token: string): Promise<number>;
}

export class PageCache {
  readonly #redis: ScriptedRedis;
  constructor(redis: Redis) {
    if (!('productRead' in redis)) {
      redis.defineCommand('productRead', { numberOfKeys: 3, lua: READ });
      redis.defineCommand('productStore', { numberOfKeys: 2, lua: STORE_IF_GENERATION });
      redis.defineCommand('productInvalidate', { numberOfKeys: 2, lua: INVALIDATE });
      redis.defineCommand('productRelease', { numberOfKeys: 1, lua: RELEASE });
    }
    this.#redis = redis as ScriptedRedis;
  }

  /** False while the connection is not up: the request path does not even try. */
  get available(): boolean {
    return this.#redis.status === 'ready';
  }

  async read(id: string): Promise<CacheRead> {
    const res = await this.#bounded(this.#redis.productRead(pageKey(id), generationKey(id), lockKey(id)));
    return res[0] === 1 ? { page: res[1] } : { page: null, generation: res[1], locked: res[2] === 1 };
  }

  /** Stores the page if no invalidation happened since `generation` was read; false when refused. */
  async store(id: string, generation: string, page: string, ttlMs: number): Promise<boolean> {
    return (await this.#bounded(this.#redis.productStore(pageKey(id), generationKey(id), generation, page, ttlMs))) === 1;
  }

  /** Takes the rebuild lock; the token releases it. Undefined when another builder holds it. */
  async lock(id: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const ok = await this.#bounded(this.#redis.set(lockKey(id), token, 'PX', ttlMs, 'NX'));
    return ok === 'OK' ? token : undefined;
  }

  async release(id: string, token: string): Promise<void> {
    await this.#bounded(this.#redis.productRelease(lockKey(id), token));
  }

  /**
   * Deletes the pages of these items and bumps their generations (one atomic script per item, all
   * in one pipeline). The consumer retries a failure until it succeeds.
   */
  async invalidate(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const id of ids) (pipeline as unknown as ScriptedRedis).productInvalidate(pageKey(id), generationKey(id), GENERATION_TTL_MS);
    const results = await this.#bounded(pipeline.exec(), INVALIDATE_TIMEOUT_MS);
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new CacheUnavailableError(`invalidation failed: ${failed?.[0]?.message ?? 'no answer'}`);
  }

  async #bounded<T>(pending: Promise<T>, timeoutMs = REDIS_OP_TIMEOUT_MS): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CacheUnavailableError(`redis did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      pending.catch(() => undefined);
      if (err instanceof CacheUnavailableError) throw err;
      throw new CacheUnavailableError((err as Error).message, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The product page: composed from item-crud (item, then its seller; comments in parallel) and
 * Elasticsearch (related items, in parallel), cached in Redis (cache-aside) with single-flight
 * rebuilds. Only the item is indispensable: a failing seller, comments or related call leaves that
 * part out and names it in `missing`.
 */
import { HttpProblem, notFound, problemType } from '@shop/kit';
import type { Log } from '../log.ts';
import type { FacadeMetrics } from '../metrics.ts';
import { type CommentJson, type CommentsJson, type ItemCrudClient, type ItemJson, type Rating, type SellerJson, UpstreamError } from '../repositories/item-crud.ts';
import { CacheUnavailableError, type CacheRead, type PageCache } from '../repositories/page-cache.ts';
import type { RelatedItem, RelatedRepository } from '../repositories/related.ts';

export type Part = 'seller' | 'comments' | 'related';

export interface ProductPage {
  item: ItemJson;
  seller: SellerJson | null;
  images: { id: string; url: string; thumbUrl: string; width?: number; height?: number }[];
  rating: Rating;
  comments: CommentJson[];
  related: RelatedItem[];
  /** Parts that could not be read this time (the page is otherwise complete). */
  missing?: Part[];
}

export type CacheResult = 'hit' | 'miss' | 'bypass';

/** The rebuild lock lives longer than the slowest build (item 2 s + seller 1 s). */
export const LOCK_TTL_MS = 5_000;
/** A miss that finds the lock taken waits this long for the page, then builds it itself. */
export const LOCK_WAIT_MS = 3_500;
export const LOCK_POLL_MS = 20;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ProductComposer {
  readonly #crud: ItemCrudClient;
  readonly #related: RelatedRepository;
  readonly #metrics: FacadeMetrics;
  readonly #log: Log;
  constructor(crud: ItemCrudClient, related: RelatedRepository, metrics: FacadeMetrics, log: Log) {
    this.#crud = crud;
    this.#related = related;
    this.#metrics = metrics;
    this.#log = log;
  }

  /** Throws a 404 problem for an unknown item and a 503 problem when item-crud cannot give the item. */
  async build(id: string, requestId?: string): Promise<ProductPage> {
    const started = performance.now();
    const observe = (outcome: string) => this.#metrics.build.observe({ outcome }, (performance.now() - started) / 1000);
    const commentsCall = settle(this.#crud.comments(id, requestId));
    const relatedCall = settle(this.#related.similar(id));
    let item: ItemJson | null;
    try {
      item = await this.#crud.item(id, requestId);
    } catch (err) {
      observe('failed');
      this.#log.warn({ err, itemId: id }, 'item-crud could not give the item');
      throw new HttpProblem(503, 'the catalog is unavailable; try again shortly', { type: problemType('unavailable'), headers: { 'retry-after': '1' } });
    }
    if (!item) {
      observe('not_found');
      throw notFound(`No product with id ${id}`);
    }
    const [seller, comments, related] = await Promise.all([settle(this.#crud.seller(item.sellerId, requestId)), commentsCall, relatedCall]);

    const missing: Part[] = [];
    const failures: Record<string, string> = {};
    const value = <T>(part: Part, s: Settled<T | null>): T | null => {
      if (s.ok && s.value !== null) return s.value;
      missing.push(part);
      failures[part] = s.ok ? 'not found' : s.error instanceof UpstreamError ? s.error.message : String(s.error);
      return null;
    };
    const sellerValue = value('seller', seller);
    const commentsValue: CommentsJson | null = value('comments', comments);
    const relatedValue = value('related', related);
    if (missing.length) this.#log.warn({ itemId: id, missing: failures }, 'product page built without some parts');

    const images = [...(item.images ?? [])]
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
      .map((img) => ({
        id: img.id,
        url: `/api/images/${item.id}/${img.id}`,
        thumbUrl: `/api/images/${item.id}/${img.id}?size=thumb`,
        ...(typeof img.width === 'number' && typeof img.height === 'number' ? { width: img.width, height: img.height } : {}),
      }));
    const page: ProductPage = {
      item,
      seller: sellerValue,
      images,
      rating: item.rating ?? commentsValue?.rating ?? { average: 0, count: 0 },
      comments: (commentsValue?.items ?? []).slice(0, 5),
      related: relatedValue ?? [],
      ...(missing.length ? { missing } : {}),
    };
    observe(missing.length ? 'degraded' : 'complete');
    return page;
  }
}

export interface ProductCacheOptions {
  /** TTL of a complete page; 0 turns the cache off. */
  ttlMs: number;
  /** TTL of a page with missing parts; 0: not cached. */
  degradedTtlMs: number;
  lockTtlMs?: number;
  lockWaitMs?: number;
}

export interface ProductAnswer { json: string; cache: CacheResult }

export class ProductService {
  readonly #composer: ProductComposer;
  readonly #cache: PageCache;
  readonly #options: Required<ProductCacheOptions>;
  readonly #metrics: FacadeMetrics;
  readonly #log: Log;
  /** Builds (and cache reads) in progress in this process, by item id: concurrent requests share one. */
  readonly #inflight = new Map<string, Promise<ProductAnswer>>();

  constructor(composer: ProductComposer, cache: PageCache, options: ProductCacheOptions, metrics: FacadeMetrics, log: Log) {
    this.#composer = composer;
    this.#cache = cache;
    this.#options = { lockTtlMs: LOCK_TTL_MS, lockWaitMs: LOCK_WAIT_MS, ...options };
    this.#metrics = metrics;
    this.#log = log;
  }

  async get(id: string, requestId?: string): Promise<ProductAnswer> {
    let pending = this.#inflight.get(id);
    if (pending) {
      this.#metrics.singleFlight.inc({ kind: 'joined' });
    } else {
      pending = this.#resolve(id, requestId).finally(() => this.#inflight.delete(id));
      this.#inflight.set(id, pending);
    }
    const answer = await pending;
    this.#metrics.cache.inc({ result: answer.cache });
    return answer;
  }

  async #resolve(id: string, requestId?: string): Promise<ProductAnswer> {
    if (this.#options.ttlMs === 0 || !this.#cache.available) return this.#bypass(id, requestId);
    let read: CacheRead;
    try {
      read = await this.#cache.read(id);
    } catch (err) {
      this.#redisFailed(err);
      return this.#bypass(id, requestId);
    }
    if (read.page !== null) return { json: read.page, cache: 'hit' };
    return this.#rebuild(id, read, requestId);
  }

  async #bypass(id: string, requestId?: string): Promise<ProductAnswer> {
    return { json: JSON.stringify(await this.#composer.build(id, requestId)), cache: 'bypass' };
  }

  async #rebuild(id: string, miss: Extract<CacheRead, { page: null }>, requestId?: string): Promise<ProductAnswer> {
    let generation = miss.generation;
    let token: string | undefined;
    let redisOk = true;
    try {
      token = miss.locked ? undefined : await this.#cache.lock(id, this.#options.lockTtlMs);
    } catch (err) {
      this.#redisFailed(err);
      redisOk = false;
    }
    if (redisOk && !token) {
      // Another builder (most likely another instance) has the lock: wait for its page.
      const deadline = Date.now() + this.#options.lockWaitMs;
      for (;;) {
        await sleep(LOCK_POLL_MS);
        let seen: CacheRead;
        try {
          seen = await this.#cache.read(id);
        } catch (err) {
          this.#redisFailed(err);
          redisOk = false;
          break;
        }
        if (seen.page !== null) {
          this.#metrics.singleFlight.inc({ kind: 'waited' });
          return { json: seen.page, cache: 'hit' };
        }
        generation = seen.generation;
        // The builder is gone without a page (it failed, or its page was degraded or invalidated): build.
        if (!seen.locked) break;
        if (Date.now() >= deadline) {
          this.#metrics.singleFlight.inc({ kind: 'wait_timeout' });
          break;
        }
      }
    }
    try {
      const page = await this.#composer.build(id, requestId);
      const json = JSON.stringify(page);
      const ttl = page.missing ? this.#options.degradedTtlMs : this.#options.ttlMs;
      if (redisOk && ttl > 0) {
        try {
          const stored = await this.#cache.store(id, generation, json, ttl);
          this.#metrics.cacheWrites.inc({ outcome: stored ? 'stored' : 'refused' });
        } catch (err) {
          this.#metrics.cacheWrites.inc({ outcome: 'failed' });
          this.#redisFailed(err);
          redisOk = false;
        }
      }
      return { json, cache: redisOk ? 'miss' : 'bypass' };
    } finally {
      if (token) await this.#cache.release(id, token).catch((err: unknown) => this.#redisFailed(err));
    }
  }

  #redisFailed(err: unknown): void {
    this.#log.debug({ err: err instanceof CacheUnavailableError ? err.message : err }, 'product cache unavailable; serving from the sources');
  }
}

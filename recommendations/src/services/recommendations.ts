// The answers of the routes: cached, hydrated, and never an error because a store is down. PostgreSQL failing
// (or slow) degrades to the last popular lists kept in memory; Redis failing only turns the cache off.
import type { FastifyBaseLogger } from 'fastify';
import type { AnswerCache } from './cache.ts';
import type { Catalog, CompactItem } from './catalog.ts';
import type { AlsoKindParam, Ranked, Recommender } from './recommender.ts';
import type { ItemRow } from '../repositories/model.ts';

export interface Body { items: CompactItem[]; source: string }
export interface Answer { json: string; cache: 'hit' | 'miss' | 'bypass'; degraded: boolean }

/** The last popular lists answered from PostgreSQL, overall and per category, to serve while it is down. */
export class PopularSnapshot {
  readonly #lists = new Map<string, CompactItem[]>();
  readonly #max: number;
  constructor(max = 200) {
    this.#max = max;
  }
  remember(category: string | undefined, items: CompactItem[]) {
    const key = category ?? '';
    if (items.length >= (this.#lists.get(key)?.length ?? 0)) this.#lists.set(key, items);
    if (this.#lists.size > this.#max) this.#lists.delete(this.#lists.keys().next().value!);
  }
  list(category: string | undefined, size: number, exclude?: string): CompactItem[] {
    const items = this.#lists.get(category ?? '') ?? [];
    return items.filter((i) => i.id !== exclude).slice(0, size);
  }
  get size() {
    return this.#lists.size;
  }
}

export interface ServiceMetrics {
  answers: { inc(labels: { route: string; source: string; cache: string }): void };
  degraded: { inc(labels: { route: string }): void };
}

export class RecommendationService {
  readonly #rec: Recommender;
  readonly #catalog: Catalog;
  readonly #cache: AnswerCache;
  readonly #log: FastifyBaseLogger;
  readonly #metrics: ServiceMetrics;
  readonly #dbTimeoutMs: number;
  readonly snapshot = new PopularSnapshot();

  constructor(deps: { recommender: Recommender; catalog: Catalog; cache: AnswerCache; log: FastifyBaseLogger; metrics: ServiceMetrics; dbTimeoutMs: number }) {
    this.#rec = deps.recommender;
    this.#catalog = deps.catalog;
    this.#cache = deps.cache;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#dbTimeoutMs = deps.dbTimeoutMs;
  }

  /** `compute` bounded in time: a store that hangs is a store that is down. */
  #withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([work, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from PostgreSQL in ${this.#dbTimeoutMs} ms`)), this.#dbTimeoutMs);
    })]).finally(() => clearTimeout(timer));
  }

  async #answer(route: string, key: string, actors: string[], compute: () => Promise<{ ranked: Ranked; rows: Map<string, ItemRow> } | null>,
    fallback: () => CompactItem[], after?: (body: Body) => void): Promise<Answer | null> {
    const cacheKey = await this.#cache.key(key, actors);
    const cached = await this.#cache.get(cacheKey);
    if (cached) {
      this.#metrics.answers.inc({ route, source: (JSON.parse(cached) as Body).source, cache: 'hit' });
      return { json: cached, cache: 'hit', degraded: false };
    }
    let body: Body;
    try {
      const result = await this.#withTimeout(compute());
      if (!result) return null;
      body = { items: await this.#catalog.items(result.ranked.ids, result.rows), source: result.ranked.source };
    } catch (err) {
      this.#log.warn({ err, route }, 'recommendations degraded to the popular snapshot');
      this.#metrics.degraded.inc({ route });
      const items = fallback();
      this.#metrics.answers.inc({ route, source: 'popular', cache: 'bypass' });
      return { json: JSON.stringify({ items, source: 'popular' }), cache: 'bypass', degraded: true };
    }
    after?.(body);
    const json = JSON.stringify(body);
    await this.#cache.set(cacheKey, json);
    this.#metrics.answers.inc({ route, source: body.source, cache: cacheKey ? 'miss' : 'bypass' });
    return { json, cache: cacheKey ? 'miss' : 'bypass', degraded: false };
  }

  async popular(category: string | undefined, size: number): Promise<Answer> {
    return (await this.#answer('popular', `popular:${category ?? ''}:${size}`, [], () => this.#rec.popular(category, size),
      () => this.snapshot.list(category, size), (body) => this.snapshot.remember(category, body.items)))!;
  }

  /** null: the item is unknown. */
  also(itemId: string, kind: AlsoKindParam, size: number): Promise<Answer | null> {
    return this.#answer(kind, `items:${itemId}:${kind}:${size}`, [], () => this.#rec.also(itemId, kind, size), () => this.snapshot.list(undefined, size, itemId));
  }

  me(actors: string[], size: number): Promise<Answer> {
    return this.#answer('me', `me:${actors.join(',')}:${size}`, actors, () => this.#rec.personal(actors, size),
      () => this.snapshot.list(undefined, size)) as Promise<Answer>;
  }

  /** Keeps the overall popular list in memory fresh (for when PostgreSQL is down). */
  async refreshSnapshot(size = 50): Promise<void> {
    const result = await this.#withTimeout(this.#rec.popular(undefined, size));
    this.snapshot.remember(undefined, await this.#catalog.items(result.ranked.ids, result.rows));
  }
}

import type { CategoryInfo } from '../documents/document.ts';
import type { CategoryRow } from '../repositories/catalog.ts';

export interface CategoryCacheOptions {
  load: () => Promise<CategoryRow[]>;
  /** The whole tree is reloaded when older than this. */
  maxAgeMs?: number;
  /** An unknown slug reloads the tree at most this often (a flood of bad slugs cannot hammer the database). */
  minReloadIntervalMs?: number;
}

/** The category tree in memory: reloaded every minute and when an event names a slug it does not know. */
export class CategoryCache {
  readonly #options: Required<CategoryCacheOptions>;
  #bySlug = new Map<string, CategoryRow>();
  #loadedAt = 0;
  #lastAttempt = 0;
  #inflight: Promise<void> | undefined;

  constructor(options: CategoryCacheOptions) {
    this.#options = { maxAgeMs: 60_000, minReloadIntervalMs: 1_000, ...options };
  }

  async #reload(): Promise<void> {
    this.#inflight ??= (async () => {
      this.#lastAttempt = Date.now();
      const rows = await this.#options.load();
      this.#bySlug = new Map(rows.map((r) => [r.slug, r]));
      this.#loadedAt = Date.now();
    })().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** Makes sure every slug is known if the database knows it (one reload at most). */
  async prepare(slugs: Iterable<string>): Promise<void> {
    const stale = Date.now() - this.#loadedAt > this.#options.maxAgeMs;
    const unknown = [...slugs].some((s) => !this.#bySlug.has(s));
    if (stale || (unknown && Date.now() - this.#lastAttempt >= this.#options.minReloadIntervalMs)) await this.#reload();
  }

  /** The category's path (itself first, then its ancestors) and their names; an unknown slug is a path of one. */
  info(slug: string): CategoryInfo {
    const path: string[] = [];
    const names: string[] = [];
    for (let current: string | null = slug; current !== null && !path.includes(current);) {
      path.push(current);
      const row = this.#bySlug.get(current);
      if (!row) break;
      names.push(row.nameRu, row.nameEn);
      current = row.parentSlug;
    }
    return { path, names };
  }

  async resolve(slug: string): Promise<CategoryInfo> {
    await this.prepare([slug]);
    return this.info(slug);
  }
}

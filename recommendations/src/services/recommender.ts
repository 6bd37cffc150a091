// The recommenders over the PostgreSQL model: the same rules as the offline evaluation (core/rank.ts), with the
// lists' items looked up for their availability, brand and category in the item table that item-events keep.
import { assemble, byScore, historyWeights, interleave, personalScores, personalStages, preferredCategories, type ItemFacts, type Neighbour, type Stage } from '../core/rank.ts';
import { isAvailable } from '../core/events.ts';
import type { ItemRow, ModelRepository } from '../repositories/model.ts';

export type AlsoKindParam = 'also-viewed' | 'also-bought';
export interface Ranked { ids: string[]; source: string }

/** Content similarity for an item without neighbours (Elasticsearch more_like_this); throws when it cannot answer. */
export type Similar = (itemId: string, size: number) => Promise<string[]>;

export interface RecommenderOptions {
  maxPerBrand: number;
  /** Latest interactions a personal list starts from. */
  historySize: number;
  /** Neighbours read per item. */
  neighbours: number;
}

/** How many candidates to read for a list of `size` (the brand limit and exclusions skip some). */
const pool = (size: number) => size * 4 + 20;

export class Recommender {
  readonly #repo: ModelRepository;
  readonly #similar: Similar | undefined;
  readonly #o: RecommenderOptions;
  constructor(repo: ModelRepository, similar: Similar | undefined, options: RecommenderOptions) {
    this.#repo = repo;
    this.#similar = similar;
    this.#o = options;
  }

  async #assemble(stages: Stage[], size: number, exclude: Set<string>, known: Map<string, ItemRow> = new Map()): Promise<{ ranked: Ranked; rows: Map<string, ItemRow> }> {
    const missing = [...new Set(stages.flatMap((s) => s.items))].filter((id) => !known.has(id) && !exclude.has(id));
    const rows = new Map([...known, ...(await this.#repo.rows(missing))]);
    const facts = (id: string): ItemFacts | undefined => {
      const r = rows.get(id);
      return r && { brand: r.brand, category: r.category, available: isAvailable(r) };
    };
    const { items, source } = assemble(stages, facts, { size, maxPerBrand: this.#o.maxPerBrand, exclude });
    return { ranked: { ids: items, source }, rows };
  }

  async popular(category: string | undefined, size: number): Promise<{ ranked: Ranked; rows: Map<string, ItemRow> }> {
    const popular = await this.#repo.popular(category, pool(size));
    const stages: Stage[] = [{ source: 'popular', items: popular }];
    if (popular.length < pool(size)) stages.push({ source: 'newest', items: await this.#repo.newest(category, pool(size)) });
    return this.#assemble(stages, size, new Set());
  }

  /** null: the item is unknown. */
  async also(itemId: string, kind: AlsoKindParam, size: number): Promise<{ ranked: Ranked; rows: Map<string, ItemRow> } | null> {
    const self = (await this.#repo.rows([itemId])).get(itemId);
    if (!self) return null;
    const neighbours = (await this.#repo.neighbours([itemId], kind === 'also-viewed' ? 'view' : 'buy', pool(size))).get(itemId) ?? [];
    const stages: Stage[] = [{ source: kind, items: neighbours.map((n) => n.item) }];
    // Few or no neighbours (a new item): similar content, then popular in its category.
    if (neighbours.length < size && this.#similar) {
      const similar = await this.#similar(itemId, pool(size)).catch(() => []);
      stages.push({ source: 'similar', items: similar });
    }
    const exclude = new Set([itemId]);
    const first = await this.#assemble(stages, size, exclude, new Map([[itemId, self]]));
    if (first.ranked.ids.length >= size) return first;
    stages.push({ source: 'popular-category', items: await this.#repo.popular(self.category, pool(size)) });
    return this.#assemble(stages, size, exclude, first.rows);
  }

  /** The shoppers (a user and the anonymous id they browsed with) as one history. */
  async personal(actors: string[], size: number, now = Date.now()): Promise<{ ranked: Ranked; rows: Map<string, ItemRow> }> {
    const { history, bought } = actors.length ? await this.#repo.history(actors, this.#o.historySize) : { history: [], bought: new Set<string>() };
    const weights = historyWeights(history, now);
    const seen = [...weights.keys()];
    const exclude = new Set([...bought, ...seen]);
    const [views, buys, rows] = await Promise.all([
      this.#repo.neighbours(seen, 'view', this.#o.neighbours),
      this.#repo.neighbours(seen, 'buy', this.#o.neighbours),
      this.#repo.rows(seen),
    ]);
    const combined = (item: string): Neighbour[] => {
      const merged = new Map<string, number>();
      for (const n of views.get(item) ?? []) merged.set(n.item, n.score);
      for (const n of buys.get(item) ?? []) merged.set(n.item, (merged.get(n.item) ?? 0) + n.score);
      return [...merged].map(([i, score]) => ({ item: i, score })).sort(byScore);
    };
    const knn = personalScores(weights, combined, exclude).map((n) => n.item);
    const categories = preferredCategories(weights, (id) => rows.get(id)?.category);
    const categoryPopular = interleave(await Promise.all(categories.map((c) => this.#repo.popular(c, pool(size)))));
    const stages = personalStages(knn, categoryPopular);
    stages.push({ source: 'popular', items: await this.#repo.popular(undefined, pool(size) + exclude.size) });
    return this.#assemble(stages, size, exclude, rows);
  }
}

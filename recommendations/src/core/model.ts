// The model in memory, updated one event at a time exactly as the service updates its PostgreSQL tables
// (repositories/model.ts): the offline evaluation replays an activity log through it.
import {
  DAY_MS, KIND_WEIGHT, assemble, byScore, decayedWeight, historyWeights, interleave, neighboursFrom, personalScores, personalStages, preferredCategories,
  type HistoryEntry, type InteractionKind, type ItemFacts, type Neighbour, type Stage,
} from './rank.ts';

export interface ItemInfo { id: string; category: string; brand: string; status: 'active' | 'hidden' | 'deleted'; stock: number }

/**
 * One interaction as the model sees it (from `user-activity` and `order-events`). An empty `actor` (a visitor
 * without identity) counts for popularity only: no history, no session (an empty `session` pairs nothing).
 */
export type ModelEvent =
  | { kind: 'view' | 'cart'; actor: string; item: string; at: number; session: string }
  | { kind: 'purchase'; actor: string; items: string[]; at: number; order: string };

export interface ModelOptions {
  /** Popularity halves every this many ms (default 7 days). */
  popularHalfLifeMs: number;
  /** A session's views co-occur with at most this many earlier distinct items of the session. */
  sessionItems: number;
  /** A shopper's history keeps this many latest interactions. */
  historySize: number;
  /** Views of one anonymous session further apart than this start a new session. */
  sessionGapMs: number;
}

export const DEFAULT_MODEL_OPTIONS: ModelOptions = { popularHalfLifeMs: 7 * DAY_MS, sessionItems: 50, historySize: 50, sessionGapMs: 30 * 60_000 };

export interface RecommendOptions { size: number; maxPerBrand: number; now: number }
export interface Recommendation { items: string[]; source: string }

const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
function bumpPair(m: Map<string, Map<string, number>>, a: string, b: string) {
  let row = m.get(a);
  if (!row) m.set(a, (row = new Map()));
  bump(row, b);
}

export class Model {
  readonly options: ModelOptions;
  readonly items = new Map<string, ItemInfo>();
  readonly popularity = new Map<string, number>();
  /** Sessions (views) and orders (purchases) holding each item, and pairs in the same session / order. */
  readonly viewCount = new Map<string, number>();
  readonly coView = new Map<string, Map<string, number>>();
  readonly buyCount = new Map<string, number>();
  readonly coBuy = new Map<string, Map<string, number>>();
  readonly sessions = new Map<string, { items: string[]; last: number }>();
  readonly history = new Map<string, HistoryEntry[]>();
  readonly bought = new Map<string, Set<string>>();
  readonly orders = new Set<string>();

  constructor(options: Partial<ModelOptions> = {}) {
    this.options = { ...DEFAULT_MODEL_OPTIONS, ...options };
  }

  upsertItem(item: ItemInfo): void {
    this.items.set(item.id, item);
  }

  facts = (id: string): ItemFacts | undefined => {
    const i = this.items.get(id);
    return i && { brand: i.brand, category: i.category, available: i.status === 'active' && i.stock > 0 };
  };

  apply(event: ModelEvent): void {
    if (event.kind === 'purchase') {
      if (this.orders.has(event.order)) return; // an order counts once, however often its events come
      this.orders.add(event.order);
      const distinct = [...new Set(event.items)];
      for (const item of distinct) {
        bump(this.popularity, item, decayedWeight(KIND_WEIGHT.purchase, event.at, this.options.popularHalfLifeMs));
        bump(this.buyCount, item);
        for (const other of distinct) if (other !== item) bumpPair(this.coBuy, item, other);
        this.remember(event.actor, { item, kind: 'purchase', at: event.at });
        let set = this.bought.get(event.actor);
        if (!set) this.bought.set(event.actor, (set = new Set()));
        set.add(item);
      }
      return;
    }
    bump(this.popularity, event.item, decayedWeight(KIND_WEIGHT[event.kind], event.at, this.options.popularHalfLifeMs));
    if (!event.actor) return;
    this.remember(event.actor, { item: event.item, kind: event.kind, at: event.at });
    if (event.kind !== 'view' || !event.session) return;
    let session = this.sessions.get(event.session);
    if (!session || event.at - session.last > this.options.sessionGapMs) this.sessions.set(event.session, (session = { items: [], last: event.at }));
    session.last = event.at;
    if (session.items.includes(event.item)) return;
    bump(this.viewCount, event.item);
    for (const other of session.items) {
      bumpPair(this.coView, event.item, other);
      bumpPair(this.coView, other, event.item);
    }
    session.items.push(event.item);
    if (session.items.length > this.options.sessionItems) session.items.shift();
  }

  private remember(actor: string, entry: HistoryEntry) {
    let list = this.history.get(actor);
    if (!list) this.history.set(actor, (list = []));
    list.push(entry);
    if (list.length > this.options.historySize) list.shift();
  }

  neighbours(item: string, kind: 'also-viewed' | 'also-bought'): Neighbour[] {
    const [pairs, counts] = kind === 'also-viewed' ? [this.coView, this.viewCount] : [this.coBuy, this.buyCount];
    return neighboursFrom(item, pairs.get(item) ?? [], (id) => counts.get(id) ?? 0);
  }

  /** Views and purchases together, each list's scores kept as they are (both are cosines in 0..1). */
  combinedNeighbours = (item: string): Neighbour[] => {
    const merged = new Map<string, number>();
    for (const n of this.neighbours(item, 'also-viewed')) merged.set(n.item, n.score);
    for (const n of this.neighbours(item, 'also-bought')) merged.set(n.item, (merged.get(n.item) ?? 0) + n.score);
    return [...merged].map(([i, score]) => ({ item: i, score })).sort(byScore);
  };

  popularIds(category?: string): string[] {
    const list = [...this.popularity].filter(([id]) => !category || this.items.get(id)?.category === category);
    return list.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
  }

  popular(options: RecommendOptions & { category?: string; exclude?: ReadonlySet<string> }): Recommendation {
    return assemble([{ source: 'popular', items: this.popularIds(options.category) }], this.facts, options);
  }

  also(item: string, kind: 'also-viewed' | 'also-bought', options: RecommendOptions): Recommendation {
    const category = this.items.get(item)?.category;
    const stages: Stage[] = [{ source: kind, items: this.neighbours(item, kind).map((n) => n.item) }];
    if (category) stages.push({ source: 'popular-category', items: this.popularIds(category) });
    return assemble(stages, this.facts, { ...options, exclude: new Set([item]) });
  }

  /**
   * Personal: the caller's recent interactions through the neighbours (views and purchases), minus what they bought
   * and what they have seen, fused with popular in their categories (reciprocal ranks); then popular overall.
   * Without neighbours it is popular in their categories, without history popular. `only` keeps one ingredient
   * (the evaluation compares them).
   */
  personal(actor: string, options: RecommendOptions & { only?: 'item-knn' | 'popular-category' }): Recommendation {
    const history = this.history.get(actor) ?? [];
    const weights = historyWeights(history, options.now);
    const exclude = new Set([...(this.bought.get(actor) ?? []), ...history.map((h) => h.item)]);
    const knn = options.only === 'popular-category' ? [] : personalScores(weights, this.combinedNeighbours, exclude).map((n) => n.item);
    const categories = options.only === 'item-knn' ? [] : interleave(preferredCategories(weights, (id) => this.items.get(id)?.category).map((c) => this.popularIds(c)));
    const stages = personalStages(knn, categories);
    if (!options.only) stages.push({ source: 'popular', items: this.popularIds() });
    return assemble(stages, this.facts, { ...options, exclude });
  }
}

export type { InteractionKind };

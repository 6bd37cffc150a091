// The recommender's rules, pure: decayed popularity, item-to-item similarity from co-occurrence, the personal
// score through the neighbours, diversity and exclusions, the fallback chain. The in-memory model (model.ts, the
// offline evaluation) and the PostgreSQL repository (the service) feed the same functions.

/** What an interaction is worth: a purchase says more than a cart, a cart more than a view. */
export const KIND_WEIGHT = { view: 1, cart: 3, purchase: 5 } as const;
export type InteractionKind = keyof typeof KIND_WEIGHT;

/** Scores are kept relative to this instant so that they only ever grow and need no rewrite as time passes. */
export const SCORE_EPOCH_MS = Date.UTC(2026, 0, 1);
export const DAY_MS = 86_400_000;

/**
 * A decayed weight stored as `weight · 2^((at − epoch) / halfLife)`: adding it to an item's stored score is an
 * incremental update, and the order of the stored scores at any moment is the order of
 * `Σ weight · 2^(−(now − at) / halfLife)` (the common factor 2^((now − epoch) / halfLife) cancels out).
 */
export function decayedWeight(weight: number, atMs: number, halfLifeMs: number): number {
  return weight * 2 ** ((atMs - SCORE_EPOCH_MS) / halfLifeMs);
}

/** The stored score's value at `nowMs` (for display and tests: the ranking does not need it). */
export const scoreAt = (stored: number, nowMs: number, halfLifeMs: number): number => stored * 2 ** (-(nowMs - SCORE_EPOCH_MS) / halfLifeMs);

/**
 * Cosine similarity of two items' occurrence vectors over sessions (or orders): the number of sessions holding
 * both over the geometric mean of the numbers holding each. A blockbuster that is in every session co-occurs with
 * everything but its large count divides that away, so it does not top every list.
 */
export function cosine(both: number, countA: number, countB: number): number {
  if (both <= 0 || countA <= 0 || countB <= 0) return 0;
  return both / Math.sqrt(countA * countB);
}

/** Below this many shared sessions or orders a pair is noise, not a neighbour. */
export const MIN_CO_COUNT = 1;

export interface Neighbour { item: string; score: number }

/** Neighbours by cosine, best first, the item itself never among them; ties by id so lists are stable. */
export function neighboursFrom(item: string, pairs: Iterable<[string, number]>, countOf: (id: string) => number, minCo = MIN_CO_COUNT): Neighbour[] {
  const own = countOf(item);
  const out: Neighbour[] = [];
  for (const [other, both] of pairs) {
    if (other === item || both < minCo) continue;
    const score = cosine(both, own, countOf(other));
    if (score > 0) out.push({ item: other, score });
  }
  return out.sort(byScore);
}

export const byScore = (a: Neighbour, b: Neighbour): number => b.score - a.score || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0);

export interface HistoryEntry { item: string; kind: InteractionKind; at: number }

/** How much a past interaction counts for a personal list: its kind's weight, halved every `halfLifeMs` of age. */
export function historyWeights(history: readonly HistoryEntry[], nowMs: number, halfLifeMs = 3 * DAY_MS): Map<string, number> {
  const weights = new Map<string, number>();
  for (const h of history) {
    const w = KIND_WEIGHT[h.kind] * 2 ** (-Math.max(0, nowMs - h.at) / halfLifeMs);
    weights.set(h.item, (weights.get(h.item) ?? 0) + w);
  }
  return weights;
}

/**
 * The personal score of every candidate: Σ over the caller's items h of weight(h) · sim(h, candidate), with the
 * neighbours of views and purchases combined (`neighbours(h)` answers both). Items in `exclude` (bought, already
 * seen) are never candidates.
 */
export function personalScores(weights: ReadonlyMap<string, number>, neighbours: (item: string) => readonly Neighbour[], exclude: ReadonlySet<string>): Neighbour[] {
  const scores = new Map<string, number>();
  for (const [item, weight] of weights) {
    for (const n of neighbours(item)) {
      if (exclude.has(n.item) || weights.has(n.item)) continue;
      scores.set(n.item, (scores.get(n.item) ?? 0) + weight * n.score);
    }
  }
  return [...scores].map(([item, score]) => ({ item, score })).sort(byScore);
}

/** The caller's categories, most weighted first (where the personal list falls back to). */
export function preferredCategories(weights: ReadonlyMap<string, number>, categoryOf: (item: string) => string | undefined, max = 3): string[] {
  const byCategory = new Map<string, number>();
  for (const [item, weight] of weights) {
    const category = categoryOf(item);
    if (category) byCategory.set(category, (byCategory.get(category) ?? 0) + weight);
  }
  return [...byCategory].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, max).map(([c]) => c);
}

/** Round-robin over several ranked lists (popular in each of the caller's categories), duplicates dropped. */
export function interleave(lists: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) {
    for (const list of lists) {
      const item = list[i];
      if (item !== undefined && !seen.has(item)) {
        seen.add(item);
        out.push(item);
      }
    }
  }
  return out;
}

/**
 * Reciprocal rank fusion: Σ weight / (k + rank) over the lists an item is in. The neighbours' list knows the
 * caller's items, the popular-in-their-categories list knows what is good there; fused, an item both agree on
 * comes first.
 */
export function fuse(lists: readonly { items: readonly string[]; weight: number }[], k = 20): string[] {
  const scores = new Map<string, number>();
  for (const { items, weight } of lists) items.forEach((item, rank) => scores.set(item, (scores.get(item) ?? 0) + weight / (k + rank + 1)));
  return [...scores].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([item]) => item);
}

/** The personal list's stages: the neighbours fused with popular-in-categories, or whichever of them exists. */
export function personalStages(knn: readonly string[], categoryPopular: readonly string[]): Stage[] {
  if (knn.length && categoryPopular.length) return [{ source: 'personal', items: fuse([{ items: knn, weight: 1 }, { items: categoryPopular, weight: 1 }]) }];
  if (knn.length) return [{ source: 'personal', items: knn }];
  return categoryPopular.length ? [{ source: 'popular-category', items: categoryPopular }] : [];
}

export interface ItemFacts { brand: string; category: string; available: boolean }

export interface ListOptions {
  size: number;
  /** At most this many items of one brand in a list. */
  maxPerBrand: number;
  /** Never listed (the item a list is about, what the caller bought or has seen). */
  exclude?: ReadonlySet<string>;
}

export interface Stage { source: string; items: readonly string[] }

/**
 * Walks the stages in order (the recommender, then its fallbacks), keeping an item only if it is known and
 * available (not deleted, hidden or out of stock), not excluded, not listed yet, and its brand has fewer than
 * `maxPerBrand` items in the list; stops at `size`. `source` is the first stage that contributed, so a list that
 * the recommender only started and popularity completed still says `personal`; an empty list says the last stage.
 */
export function assemble(stages: readonly Stage[], facts: (item: string) => ItemFacts | undefined, options: ListOptions): { items: string[]; source: string } {
  const items: string[] = [];
  const brands = new Map<string, number>();
  const seen = new Set<string>(options.exclude ?? []);
  let source: string | undefined;
  for (const stage of stages) {
    for (const item of stage.items) {
      if (items.length >= options.size) break;
      if (seen.has(item)) continue;
      seen.add(item);
      const f = facts(item);
      if (!f || !f.available) continue;
      const brand = f.brand.toLowerCase();
      const n = brands.get(brand) ?? 0;
      if (n >= options.maxPerBrand) continue;
      brands.set(brand, n + 1);
      items.push(item);
      source ??= stage.source;
    }
    if (items.length >= options.size) break;
  }
  return { items, source: source ?? stages.at(-1)?.source ?? 'popular' };
}

// Offline evaluation: a time-based split per shopper, replayed through the incremental model so that nothing from
// the future is used. Each shopper's last interactions (the last `holdout` share, at least one) are held out; the
// model is trained on every event of every shopper that happened before that shopper's first held-out one (events
// are replayed in time order and the shoppers are evaluated in the order of their split instants), and the
// recommenders' top k are compared with the held-out items the shopper had not interacted with before.
import { coverage, hitRate, ndcg, precision } from './metrics.ts';
import { Model, type ItemInfo, type ModelEvent, type ModelOptions, type Recommendation } from './model.ts';

export interface EvaluationOptions {
  k: number;
  /** Share of each shopper's interactions held out (the latest ones). */
  holdout: number;
  /** Shoppers with fewer interactions are not evaluated (their events still train the model). */
  minInteractions: number;
  maxPerBrand: number;
  model?: Partial<ModelOptions>;
}

export const DEFAULT_EVALUATION: EvaluationOptions = { k: 10, holdout: 0.2, minInteractions: 5, maxPerBrand: 3 };

export interface Scores { hr: number; ndcg: number; precision: number; coverage: number; users: number }

export interface EvaluationReport {
  k: number;
  events: number;
  items: number;
  catalog: number;
  shoppers: number;
  evaluated: number;
  holdout: number;
  baseline: string;
  recommenders: Record<string, Scores>;
  /** NDCG@k of personal over the baseline's, minus 1 (0.2 = 20 % better). */
  personalNdcgLift: number;
}

const actorOf = (e: ModelEvent) => e.actor;
const itemsOf = (e: ModelEvent): string[] => (e.kind === 'purchase' ? e.items : [e.item]);

/** The recommenders compared; `popular` is the baseline. */
export const RECOMMENDERS = {
  popular: (m: Model, actor: string, o: { size: number; maxPerBrand: number; now: number }): Recommendation => {
    const seen = new Set((m.history.get(actor) ?? []).map((h) => h.item));
    return m.popular({ ...o, exclude: seen });
  },
  'popular-category': (m: Model, actor: string, o: { size: number; maxPerBrand: number; now: number }) => m.personal(actor, { ...o, only: 'popular-category' }),
  'item-knn': (m: Model, actor: string, o: { size: number; maxPerBrand: number; now: number }) => m.personal(actor, { ...o, only: 'item-knn' }),
  personal: (m: Model, actor: string, o: { size: number; maxPerBrand: number; now: number }) => m.personal(actor, o),
} as const;

export function evaluate(items: readonly ItemInfo[], log: readonly ModelEvent[], options: Partial<EvaluationOptions> = {}): EvaluationReport {
  const o = { ...DEFAULT_EVALUATION, ...options };
  const events = [...log].sort((a, b) => a.at - b.at);
  const byActor = new Map<string, ModelEvent[]>();
  for (const e of events) {
    let list = byActor.get(actorOf(e));
    if (!list) byActor.set(actorOf(e), (list = []));
    list.push(e);
  }
  // Split points: the instant of each shopper's first held-out event, and what they then did that was new.
  const points: { actor: string; at: number; relevant: Set<string> }[] = [];
  for (const [actor, list] of byActor) {
    if (list.length < o.minInteractions) continue;
    const held = Math.max(1, Math.floor(list.length * o.holdout));
    const split = list.length - held;
    const at = list[split]!.at;
    const before = new Set(list.filter((e) => e.at < at).flatMap(itemsOf));
    const relevant = new Set(list.filter((e) => e.at >= at).flatMap(itemsOf).filter((i) => !before.has(i)));
    if (before.size && relevant.size) points.push({ actor, at, relevant });
  }
  points.sort((a, b) => a.at - b.at);

  const model = new Model(o.model);
  for (const item of items) model.upsertItem(item);
  const names = Object.keys(RECOMMENDERS) as (keyof typeof RECOMMENDERS)[];
  const sums = Object.fromEntries(names.map((n) => [n, { hr: 0, ndcg: 0, precision: 0, lists: [] as string[][] }]));
  let next = 0;
  for (const point of points) {
    while (next < events.length && events[next]!.at < point.at) model.apply(events[next++]!);
    for (const name of names) {
      const { items: list } = RECOMMENDERS[name](model, point.actor, { size: o.k, maxPerBrand: o.maxPerBrand, now: point.at });
      const s = sums[name]!;
      s.hr += hitRate(list, point.relevant, o.k);
      s.ndcg += ndcg(list, point.relevant, o.k);
      s.precision += precision(list, point.relevant, o.k);
      s.lists.push(list);
    }
  }
  const catalog = items.filter((i) => i.status === 'active' && i.stock > 0).length;
  const n = Math.max(1, points.length);
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  const recommenders = Object.fromEntries(names.map((name) => {
    const s = sums[name]!;
    return [name, { hr: round(s.hr / n), ndcg: round(s.ndcg / n), precision: round(s.precision / n), coverage: round(coverage(s.lists, catalog, o.k)), users: points.length }];
  })) as Record<string, Scores>;
  const base = recommenders.popular!.ndcg;
  return {
    k: o.k, events: events.length, items: items.length, catalog, shoppers: byActor.size, evaluated: points.length, holdout: o.holdout,
    baseline: 'popular', recommenders, personalNdcgLift: base > 0 ? round(recommenders.personal!.ndcg / base - 1) : 0,
  };
}

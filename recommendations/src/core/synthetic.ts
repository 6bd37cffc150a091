// A seeded synthetic activity log with known preferences, for the evaluation test and `cli.ts evaluate --synthetic`.
// Shoppers have two favourite categories (80 % of their sessions) and, in each, a favourite brand (4× as likely);
// items within a category are Zipf-popular; a session views 2..6 items of one category, sometimes carts one, and
// half the carts are bought, sometimes with an item of the complementary category (cases with phones). A fifth of
// the shoppers are anonymous and never buy.
import { seededRandom } from '@shop/kit';
import type { ItemInfo, ModelEvent } from './model.ts';
import { DAY_MS } from './rank.ts';

export interface SyntheticOptions { users: number; seed: number; days: number; categories: number; itemsPerCategory: number; brandsPerCategory: number; start: number }

export const DEFAULT_SYNTHETIC: SyntheticOptions = { users: 400, seed: 42, days: 30, categories: 10, itemsPerCategory: 30, brandsPerCategory: 6, start: Date.UTC(2026, 10, 1) };

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** A stable UUID-shaped id per (kind, number). */
const uuid = (kind: number, n: number) => `${hex(kind, 8)}-0000-4000-8000-${hex(n, 12)}`;

export interface SyntheticLog { items: ItemInfo[]; events: ModelEvent[]; favourites: Map<string, string[]> }

export function synthesize(options: Partial<SyntheticOptions> = {}): SyntheticLog {
  const o = { ...DEFAULT_SYNTHETIC, ...options };
  const random = seededRandom(o.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const weighted = <T>(list: readonly T[], weight: (t: T) => number): T => {
    let r = random() * list.reduce((s, t) => s + weight(t), 0);
    for (const t of list) if ((r -= weight(t)) < 0) return t;
    return list[list.length - 1]!;
  };
  const categories = Array.from({ length: o.categories }, (_, c) => `category-${c}`);
  const items: ItemInfo[] = [];
  const byCategory = new Map<string, { item: ItemInfo; zipf: number }[]>();
  for (const category of categories) {
    const list: { item: ItemInfo; zipf: number }[] = [];
    for (let i = 0; i < o.itemsPerCategory; i++) {
      const item: ItemInfo = { id: uuid(1, items.length), category, brand: `${category}-brand-${i % o.brandsPerCategory}`, status: 'active', stock: random() < 0.03 ? 0 : 10 };
      items.push(item);
      list.push({ item, zipf: 1 / (i + 1) ** 0.8 });
    }
    byCategory.set(category, list);
  }
  const complement = (c: string) => categories[(categories.indexOf(c) + 1) % categories.length]!;
  const events: ModelEvent[] = [];
  const favourites = new Map<string, string[]>();
  let orders = 0;
  for (let u = 0; u < o.users; u++) {
    const actor = random() < 0.8 ? `user:${uuid(2, u)}` : `anon:sim-${u}`;
    const favs = [pick(categories), pick(categories)];
    favourites.set(actor, favs);
    const brand = new Map(favs.map((c) => [c, `${c}-brand-${Math.floor(random() * o.brandsPerCategory)}`]));
    const choose = (category: string) => weighted(byCategory.get(category)!, (x) => x.zipf * (brand.get(category) === x.item.brand ? 4 : 1)).item;
    const sessions = 2 + Math.floor(random() * 10);
    const starts = Array.from({ length: sessions }, () => o.start + random() * o.days * DAY_MS).sort((a, b) => a - b);
    starts.forEach((start, s) => {
      const session = `${actor}#${s}`;
      const category = random() < 0.8 ? pick(favs) : pick(categories);
      let at = start;
      const viewed: ItemInfo[] = [];
      const views = 2 + Math.floor(random() * 5);
      for (let v = 0; v < views; v++) {
        const item = choose(category);
        at += 30_000 + random() * 150_000;
        events.push({ kind: 'view', actor, item: item.id, at, session });
        viewed.push(item);
      }
      if (random() < 0.3) {
        const item = pick(viewed);
        at += 20_000;
        events.push({ kind: 'cart', actor, item: item.id, at, session });
        if (actor.startsWith('user:') && random() < 0.5) {
          const bought = [item.id];
          if (random() < 0.4) bought.push(choose(complement(category)).id);
          at += 60_000;
          events.push({ kind: 'purchase', actor, items: bought, at, order: `order-${orders++}` });
        }
      }
    });
  }
  return { items, events, favourites };
}

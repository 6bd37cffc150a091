// Demo activity: `node scripts/simulate.ts --users N --minutes M [--base URL] [--activity-url URL] [--seed S]`.
// Plays weighted shopper journeys through the public API like a load generator (Online Boutique's Locust file is
// the model): browse a category, search (some searches find nothing), click a result (search_click with the
// answer's queryId), view the product, add to the cart, sometimes take it out again, buy with the sandbox card.
// Shoppers have category preferences (two favourite categories take 80% of their browsing and searching), so the
// aggregates have structure. Every shopper sends X-Anonymous-Id `sim-<run>-<n>`; 80% sign up first (customers),
// the rest stay anonymous and never buy. Prints what it did as JSON (the tally the tests compare the aggregates to).
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { seededRandom } from '@shop/kit';

export interface SimulationOptions {
  users: number;
  minutes: number;
  /** The public API (the proxy). */
  baseUrl?: string;
  /** Where POST /api/activity goes (default: baseUrl). */
  activityUrl?: string;
  seed?: number;
  /** Pause between a shopper's steps, ms [min, max). */
  thinkMs?: [number, number];
  log?: (message: string) => void;
}

export interface Tally {
  runId: string;
  startedAt: string;
  endedAt: string;
  anonymousIdPrefix: string;
  userIds: string[];
  searches: number;
  noResultSearches: number;
  browses: number;
  clicks: number;
  productViews: number;
  pageViews: number;
  addToCartUnits: number;
  removeFromCartUnits: number;
  orders: number;
  purchaseUnits: number;
  revenue: string;
  failures: number;
  viewsByCategory: Record<string, number>;
}

const JOURNEYS = [['search', 45], ['browse', 30], ['page', 15], ['cart', 10]] as const;
const NONSENSE = ['qzxwv', 'ytrewqz', 'xkcdqwp', 'bzzzzt', 'fjqkpl'];
const CARD = { number: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' };

interface Item { id: string; name: string; category: string }

export async function simulate(options: SimulationOptions): Promise<Tally> {
  const base = (options.baseUrl ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const activityUrl = (options.activityUrl ?? base).replace(/\/$/, '');
  const random = seededRandom(options.seed ?? Date.now());
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const weighted = <T extends string>(entries: readonly (readonly [T, number])[]): T => {
    let r = random() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [v, w] of entries) if ((r -= w) < 0) return v;
    return entries[0]![0];
  };
  const [thinkMin, thinkMax] = options.thinkMs ?? [150, 600];
  const runId = randomUUID().slice(0, 8);
  const log = options.log ?? (() => undefined);
  const tally: Tally = {
    runId, startedAt: new Date().toISOString(), endedAt: '', anonymousIdPrefix: `sim-${runId}-`, userIds: [], searches: 0, noResultSearches: 0, browses: 0,
    clicks: 0, productViews: 0, pageViews: 0, addToCartUnits: 0, removeFromCartUnits: 0, orders: 0, purchaseUnits: 0, revenue: '0.00', failures: 0, viewsByCategory: {},
  };
  let revenueCents = 0;

  async function call<T>(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: T }> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      if (res.status === 429 && attempt < 5) {
        await new Promise((r) => setTimeout(r, 1_000 * Number(res.headers.get('retry-after') ?? 1)));
        continue;
      }
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    }
  }

  // The catalog as shoppers find it: the leaf categories that have items, a few items of each.
  const tree = (await call<{ slug: string; children: unknown[] }[]>('GET', `${base}/api/categories`, {})).body;
  const leaves: string[] = [];
  const walk = (nodes: { slug: string; children: unknown[] }[]) => nodes.forEach((n) => (n.children.length ? walk(n.children as typeof nodes) : leaves.push(n.slug)));
  walk(tree);
  const catalog = new Map<string, Item[]>();
  for (const slug of leaves) {
    const found = (await call<{ items: Item[] }>('GET', `${base}/api/search?category=${slug}&size=20&inStock=true`, { 'x-anonymous-id': `sim-${runId}-setup` })).body.items ?? [];
    if (found.length) catalog.set(slug, found);
  }
  const categories = [...catalog.keys()];
  if (categories.length === 0) throw new Error('the catalog is empty: seed it first (node scripts/seed.ts)');
  log(`${categories.length} categories with items`);

  const deadline = Date.now() + options.minutes * 60_000;
  const shopper = async (n: number) => {
    const anonymousId = `sim-${runId}-${n}`;
    const favourites = [pick(categories), pick(categories)];
    const category = () => (random() < 0.8 ? pick(favourites) : pick(categories));
    const headers: Record<string, string> = { 'x-anonymous-id': anonymousId };
    const signedIn = random() < 0.8;
    if (signedIn) {
      const email = `sim-${runId}-${n}@sim.example`;
      const password = `sim password ${runId}`;
      const reg = await call<{ id: string }>('POST', `${base}/api/auth/register`, {}, { email, password, name: `Shopper ${n}`, role: 'customer' });
      const login = await call<{ accessToken: string }>('POST', `${base}/api/auth/login`, {}, { email, password });
      if (reg.status !== 201 || login.status !== 200) {
        tally.failures++;
        return;
      }
      tally.userIds.push(reg.body.id);
      headers.authorization = `Bearer ${login.body.accessToken}`;
    }
    const cart = new Map<string, number>();
    const view = async (item: Item) => {
      const res = await call('GET', `${base}/api/products/${item.id}`, headers);
      if (res.status !== 200) return false;
      tally.productViews++;
      tally.viewsByCategory[item.category] = (tally.viewsByCategory[item.category] ?? 0) + 1;
      return true;
    };
    const addToCart = async (item: Item) => {
      if (!signedIn) return;
      const quantity = (cart.get(item.id) ?? 0) + 1 + Math.floor(random() * 2);
      const res = await call('PUT', `${base}/api/cart/items/${item.id}`, headers, { quantity });
      if (res.status !== 200) return;
      tally.addToCartUnits += quantity - (cart.get(item.id) ?? 0);
      cart.set(item.id, quantity);
    };
    const checkout = async () => {
      if (!signedIn || cart.size === 0) return;
      const res = await call<{ total: string }>('POST', `${base}/api/orders`, { ...headers, 'idempotency-key': randomUUID() }, {
        delivery: { name: `Shopper ${n}`, phone: '+79990000000', zip: '101000', city: 'Moscow', address: 'Tverskaya 1', region: 'Moscow', email: `sim-${runId}-${n}@sim.example` },
        payment: { provider: 'sandbox', card: CARD },
      });
      if (res.status === 201) {
        tally.orders++;
        tally.purchaseUnits += [...cart.values()].reduce((s, q) => s + q, 0);
        revenueCents += Math.round(Number(res.body.total) * 100);
        cart.clear();
      } else {
        // Out of stock or declined: the shopper empties the cart and goes on (the cart reports each line taken out).
        const cleared = await call('DELETE', `${base}/api/cart`, headers);
        if (cleared.status >= 200 && cleared.status < 300) tally.removeFromCartUnits += [...cart.values()].reduce((s, q) => s + q, 0);
        cart.clear();
      }
    };
    const click = async (queryId: string, items: Item[]) => {
      const position = Math.min(items.length, random() < 0.5 ? 1 : random() < 0.4 ? 2 : 1 + Math.floor(random() * items.length));
      const item = items[position - 1]!;
      const res = await call<{ accepted: number }>('POST', `${activityUrl}/api/activity`, headers, { events: [{ type: 'search_click', eventId: randomUUID(), queryId, itemId: item.id, position }] });
      if (res.status === 202 && res.body.accepted === 1) tally.clicks++;
      else tally.failures++;
      return item;
    };

    while (Date.now() < deadline) {
      try {
        const journey = weighted(JOURNEYS);
        if (journey === 'search') {
          const slug = category();
          const nonsense = random() < 0.15;
          const words = pick(catalog.get(slug)!).name.split(/\s+/).filter((w) => w.length > 3);
          const q = nonsense ? `${pick(NONSENSE)}${Math.floor(random() * 10)}` : (words.length ? pick(words) : slug).toLowerCase();
          const res = await call<{ total: number; queryId: string; items: Item[] }>('GET', `${base}/api/search?q=${encodeURIComponent(q)}&size=10`, headers);
          if (res.status === 200) {
            tally.searches++;
            if (res.body.total === 0) tally.noResultSearches++;
            else if (random() < 0.65) {
              const item = await click(res.body.queryId, res.body.items);
              if (await view(item) && random() < 0.35) {
                await addToCart(item);
                if (random() < 0.5) await checkout();
              }
            }
          }
        } else if (journey === 'browse') {
          const slug = category();
          const res = await call<{ items: Item[] }>('GET', `${base}/api/search?category=${slug}&size=20`, headers);
          if (res.status === 200) {
            tally.browses++;
            if (res.body.items.length && random() < 0.6) {
              const item = pick(res.body.items);
              if (await view(item) && random() < 0.2) await addToCart(item);
            }
          }
        } else if (journey === 'page') {
          const res = await call<{ accepted: number }>('POST', `${activityUrl}/api/activity`, headers, { events: [{ type: 'page_view', path: pick(['/', '/catalog', `/catalog/${category()}`, '/cart']) }] });
          if (res.status === 202 && res.body.accepted === 1) tally.pageViews++;
        } else if (journey === 'cart' && cart.size > 0) {
          if (random() < 0.5) {
            const [itemId, quantity] = pick([...cart.entries()]);
            const res = await call('DELETE', `${base}/api/cart/items/${itemId}`, headers);
            if (res.status === 200) {
              tally.removeFromCartUnits += quantity;
              cart.delete(itemId);
            }
          } else await checkout();
        }
      } catch (err) {
        tally.failures++;
        log(`shopper ${n}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, thinkMin + random() * (thinkMax - thinkMin)));
    }
  };
  await Promise.all(Array.from({ length: options.users }, (_, n) => shopper(n)));
  tally.revenue = (revenueCents / 100).toFixed(2);
  tally.endedAt = new Date().toISOString();
  return tally;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '20' }, minutes: { type: 'string', default: '1' }, base: { type: 'string' }, 'activity-url': { type: 'string' }, seed: { type: 'string' },
    },
  });
  const users = Number(values.users);
  const minutes = Number(values.minutes);
  if (!Number.isInteger(users) || users < 1 || users > 1_000 || !(minutes > 0 && minutes <= 24 * 60)) {
    console.error('usage: node scripts/simulate.ts --users N (1..1000) --minutes M (> 0) [--base URL] [--activity-url URL] [--seed S]');
    process.exit(64);
  }
  const tally = await simulate({
    users, minutes, baseUrl: values.base, activityUrl: values['activity-url'], seed: values.seed === undefined ? undefined : Number(values.seed),
    log: (m) => console.error(m),
  });
  console.log(JSON.stringify(tally, null, 2));
}

// What a set of newly counted activity events adds to the hourly aggregates: pure arithmetic, no I/O, so the
// repository can write each aggregate table with one statement per batch (keys sorted: a fixed lock order).
import type { ActivityEvent } from '@shop/contracts';

export const HOUR_MS = 3_600_000;
/** The UTC hour an instant falls in, as an ISO string. */
export const hourOf = (at: string | Date): string => new Date(Math.floor(new Date(at).getTime() / HOUR_MS) * HOUR_MS).toISOString();
/** The UTC day, YYYY-MM-DD. */
export const dayOf = (at: string | Date): string => new Date(at).toISOString().slice(0, 10);
/** `u:<userId>` for signed-in shoppers, `a:<anonymousId>` for the others. */
export const actorOf = (e: Pick<ActivityEvent, 'userId' | 'anonymousId'>): string => (e.userId ? `u:${e.userId}` : `a:${e.anonymousId}`);
/** "1999.90" → 199990 (amounts are two-decimal strings). */
export const toCents = (amount: string): number => Math.round(Number(amount) * 100);
export const fromCents = (cents: number): string => (cents / 100).toFixed(2);

export interface ItemDelta { views: number; carts: number; cartRemovals: number; purchases: number; revenueCents: number }
export interface QueryDelta { searches: number; noResults: number; clickedSearches: number; clicks: number; positionSum: number; convertedSearches: number }
export interface SiteDelta { registrations: number; orders: number; revenueCents: number; pageViews: number; productViews: number; searches: number; events: number }

export const emptyQuery = (): QueryDelta => ({ searches: 0, noResults: 0, clickedSearches: 0, clicks: 0, positionSum: 0, convertedSearches: 0 });
export const emptySite = (): SiteDelta => ({ registrations: 0, orders: 0, revenueCents: 0, pageViews: 0, productViews: 0, searches: 0, events: 0 });

export class Deltas {
  readonly items = new Map<string, ItemDelta>();
  readonly queries = new Map<string, QueryDelta>();
  readonly site = new Map<string, SiteDelta>();
  readonly active = new Set<string>();
  readonly queryActors = new Set<string>();

  item(hour: string, itemId: string): ItemDelta {
    const key = `${hour}|${itemId}`;
    let d = this.items.get(key);
    if (!d) this.items.set(key, (d = { views: 0, carts: 0, cartRemovals: 0, purchases: 0, revenueCents: 0 }));
    return d;
  }

  query(hour: string, query: string): QueryDelta {
    const key = `${hour}|${query}`;
    let d = this.queries.get(key);
    if (!d) this.queries.set(key, (d = emptyQuery()));
    return d;
  }

  siteAt(hour: string): SiteDelta {
    let d = this.site.get(hour);
    if (!d) this.site.set(hour, (d = emptySite()));
    return d;
  }

  /** The counts of one newly counted event (clicks and conversions need the search's row: the repository adds them). */
  add(e: ActivityEvent): void {
    const hour = hourOf(e.occurredAt);
    const site = this.siteAt(hour);
    site.events++;
    this.active.add(`${hour}|${actorOf(e)}`);
    switch (e.type) {
      case 'product_view':
        this.item(hour, e.itemId!).views++;
        site.productViews++;
        break;
      case 'add_to_cart':
        this.item(hour, e.itemId!).carts += e.quantity ?? 1;
        break;
      case 'remove_from_cart':
        this.item(hour, e.itemId!).cartRemovals += e.quantity ?? 1;
        break;
      case 'purchase': {
        const d = this.item(hour, e.itemId!);
        d.purchases += e.quantity ?? 1;
        d.revenueCents += toCents(e.value ?? '0');
        break;
      }
      case 'page_view':
        site.pageViews++;
        break;
      case 'search': {
        const q = this.query(hour, e.query ?? '');
        q.searches++;
        if (e.results === 0) q.noResults++;
        site.searches++;
        if (e.query) this.queryActors.add(`${dayOf(e.occurredAt)}|${e.query}|${actorOf(e)}`);
        break;
      }
      case 'search_click':
        break;
    }
  }
}

/** Splits `a|b|c` keys (the last part may not contain `|`; queries may, so the query is always in the middle). */
export function splitKey(key: string, parts: number): string[] {
  const first = key.indexOf('|');
  if (parts === 2) return [key.slice(0, first), key.slice(first + 1)];
  const last = key.lastIndexOf('|');
  return [key.slice(0, first), key.slice(first + 1, last), key.slice(last + 1)];
}

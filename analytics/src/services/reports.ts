// The analytics API's rules: the period (from/to, defaults, bounds), the previous period of the same length,
// growth, and the rates as DESIGN.md defines them (Algolia's): click-through rate = searches with a click ÷
// searches that could be clicked (had results); conversion rate = searches followed by a purchase of a clicked item
// ÷ the same denominator; no-result rate = searches with 0 results ÷ all searches.
import type { Interval, Period, ProductMetric, QueryFigures, QueryKind, ReportRepository, Totals } from '../repositories/reports.ts';
import type { ReviewSummaryRepository } from '../repositories/review-summaries.ts';

export const DAY_MS = 86_400_000;
export const MAX_SPAN_DAYS = 366;

export class PeriodError extends Error {}

/** Popular queries: at least this many different shoppers, a day's weight halved every 7 days, the last 60 days. */
export const POPULAR_MIN_SHOPPERS = 2;
export const POPULAR_HALF_LIFE_DAYS = 7;
export const POPULAR_WINDOW_DAYS = 60;

/** The period [from, to): `to` defaults to now, `from` to `to` − `defaultDays`; from < to, at most 366 days. */
export function period(query: { from?: string; to?: string }, now: number, defaultDays: number): Period {
  const parse = (value: string, name: string) => {
    // A leap second (23:59:60, valid RFC 3339) is the last second of its minute.
    const ms = Date.parse(value.replace(/:60(?=(\.\d+)?(Z|[+-]\d{2}:\d{2})$)/i, ':59'));
    if (Number.isNaN(ms)) throw new PeriodError(`${name}: not a date-time`);
    return ms;
  };
  const to = query.to === undefined ? now : parse(query.to, 'to');
  const from = query.from === undefined ? to - defaultDays * DAY_MS : parse(query.from, 'from');
  if (from >= to) throw new PeriodError('from must be before to');
  if (to - from > MAX_SPAN_DAYS * DAY_MS) throw new PeriodError(`the period may be at most ${MAX_SPAN_DAYS} days long`);
  return { from: new Date(from), to: new Date(to) };
}

/** The period of the same length just before. */
export const previous = (p: Period): Period => ({ from: new Date(p.from.getTime() - (p.to.getTime() - p.from.getTime())), to: p.from });

/** (current − previous) ÷ previous, rounded to 4 places; null when there was nothing before. */
export function growth(current: number | string, before: number | string): number | null {
  const c = Number(current);
  const b = Number(before);
  return b === 0 ? null : Math.round(((c - b) / b) * 10_000) / 10_000;
}

const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);

export function rates(f: { searches: number; noResults: number; clickedSearches: number; convertedSearches: number }) {
  const clickable = f.searches - f.noResults;
  return { clickThroughRate: ratio(f.clickedSearches, clickable), conversionRate: ratio(f.convertedSearches, clickable), noResultRate: ratio(f.noResults, f.searches) };
}

const span = (p: Period) => ({ from: p.from.toISOString(), to: p.to.toISOString() });

function growthOf<T extends object>(current: T, before: T): Record<keyof T, number | null> {
  const out = {} as Record<keyof T, number | null>;
  for (const key of Object.keys(current) as (keyof T)[]) out[key] = growth(current[key] as number, before[key] as number);
  return out;
}

export class ReportService {
  readonly #repo: ReportRepository;
  readonly #reviews: ReviewSummaryRepository;
  constructor(repo: ReportRepository, reviews: ReviewSummaryRepository) {
    this.#repo = repo;
    this.#reviews = reviews;
  }

  async overview(p: Period) {
    const before = previous(p);
    const [current, prior] = await Promise.all([this.#repo.totals(p), this.#repo.totals(before)]);
    const rated = (t: Totals) => rates({ searches: t.searches, noResults: t.noResultSearches, clickedSearches: t.clickedSearches, convertedSearches: t.convertedSearches });
    return { ...span(p), previous: span(before), totals: current, previousTotals: prior, growth: growthOf(current, prior), rates: rated(current), previousRates: rated(prior) };
  }

  async topProducts(p: Period, metric: ProductMetric, options: { category?: string; limit: number }) {
    return { ...span(p), metric, category: options.category ?? null, items: await this.#repo.topItems(p, metric, options) };
  }

  async queries(p: Period, kind: QueryKind, options: { limit: number; minSearches: number }) {
    const view = (q: QueryFigures) => {
      const { positionSum, ...figures } = q;
      return { ...figures, averagePosition: q.clicks === 0 ? null : Math.round((positionSum / q.clicks) * 100) / 100, ...rates(q) };
    };
    return { ...span(p), kind, queries: (await this.#repo.queries(p, kind, options)).map(view) };
  }

  async sales(p: Period, interval: Interval) {
    const before = previous(p);
    const [points, prior] = await Promise.all([this.#repo.sales(p, interval), this.#repo.totals(before)]);
    const totals = { orders: points.reduce((s, x) => s + x.orders, 0), revenue: (points.reduce((s, x) => s + Math.round(Number(x.revenue) * 100), 0) / 100).toFixed(2) };
    const previousTotals = { orders: prior.orders, revenue: prior.revenue };
    return {
      ...span(p), previous: span(before), interval,
      points: points.map((x, i) => ({ ...x, revenueGrowth: i === 0 ? null : growth(x.revenue, points[i - 1]!.revenue), ordersGrowth: i === 0 ? null : growth(x.orders, points[i - 1]!.orders) })),
      totals, previousTotals, growth: growthOf(totals, previousTotals),
    };
  }

  async users(p: Period, interval: Interval) {
    const before = previous(p);
    const [points, current, prior] = await Promise.all([this.#repo.users(p, interval), this.#repo.totals(p), this.#repo.totals(before)]);
    const pick = (t: Totals) => ({ registrations: t.registrations, activeShoppers: t.activeShoppers, activeUsers: t.activeUsers });
    return {
      ...span(p), previous: span(before), interval,
      points: points.map((x, i) => ({ ...x, registrationsGrowth: i === 0 ? null : growth(x.registrations, points[i - 1]!.registrations) })),
      totals: pick(current), previousTotals: pick(prior), growth: growthOf(pick(current), pick(prior)),
    };
  }

  popularQueries(limit: number) {
    return this.#repo.popularQueries({ limit, minShoppers: POPULAR_MIN_SHOPPERS, halfLifeDays: POPULAR_HALF_LIFE_DAYS, windowDays: POPULAR_WINDOW_DAYS });
  }

  async seller(p: Period, sellerId: string, limit: number) {
    const before = previous(p);
    const [totals, prior, items] = await Promise.all([
      this.#repo.sellerTotals(p, sellerId), this.#repo.sellerTotals(before, sellerId), this.#repo.topItems(p, 'views', { sellerId, limit, anyActivity: true }),
    ]);
    return {
      ...span(p), previous: span(before), sellerId, totals, previousTotals: prior, growth: growthOf(totals, prior),
      items: items.map(({ itemId, name, category, views, carts, purchases, revenue }) => ({ itemId, name, category, views, carts, purchases, revenue })),
    };
  }

  /** The most criticized aspects per category over the items' current review summaries (not a period: the state now). */
  async criticizedAspects(options: { category?: string; limit: number }) {
    return { category: options.category ?? null, limit: options.limit, categories: await this.#reviews.criticizedByCategory(options) };
  }
}

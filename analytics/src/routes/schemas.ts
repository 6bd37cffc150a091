import { ANONYMOUS_ID_PATTERN, AspectName, CLIENT_ACTIVITY_TYPES } from '@shop/contracts';
import { Type } from '@shop/kit';
import { MAX_BODY_BYTES, MAX_EVENTS, REJECT_REASONS } from '../services/collector.ts';

const strict = { additionalProperties: false } as const;

export const CollectHeaders = Type.Object({
  'x-anonymous-id': Type.Optional(Type.String({ pattern: ANONYMOUS_ID_PATTERN, description: "The client's anonymous id (8..64 of A-Z a-z 0-9 _ . : -): required without a token unless each event carries anonymousId" })),
});

/** An event's values are scalars (the contract has no nested fields); text without NUL. */
const EventValue = Type.Union([Type.String({ maxLength: 1_000, description: 'text' }), Type.Number(), Type.Boolean(), Type.Null()]);

export const CollectBody = Type.Object({
  events: Type.Array(Type.Object({}, {
    additionalProperties: EventValue,
    maxProperties: 30,
    // Field names are identifiers (the contract's are camelCase words); anything else is a 400 for the whole body.
    propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' },
    description: `One client event, checked on its own (a bad one is rejected with its reason, the others are accepted): `
      + `{type: ${CLIENT_ACTIVITY_TYPES.join('|')}, eventId? (uuid; sent again, counted once), occurredAt? (RFC 3339, within the last 24 h; default now), `
      + `anonymousId?, sessionId?, queryId + itemId + position (search_click, position from 1), path (page_view)}; userId comes from the token only`,
  }), { minItems: 1, maxItems: MAX_EVENTS, description: `1..${MAX_EVENTS} events; the whole body at most ${MAX_BODY_BYTES} bytes (larger: 413)` }),
}, strict);

export const CollectAnswer = Type.Object({
  accepted: Type.Integer({ minimum: 0, description: 'events accepted (they reach the aggregates within seconds)' }),
  rejected: Type.Array(Type.Object({
    index: Type.Integer({ minimum: 0, description: 'position of the event in `events`' }),
    reason: Type.Unsafe<string>({ type: 'string', enum: [...REJECT_REASONS] }),
    detail: Type.String(),
  }, strict)),
}, strict);

// ------------------------------------------------------------------ the analytics API

const DATE_TIME = { format: 'date-time' } as const;
const PeriodFields = {
  from: Type.Optional(Type.String({ ...DATE_TIME, description: 'start of the period (RFC 3339 date-time), inclusive; default: `to` minus the default span. Must be before `to`; the period at most 366 days' })),
  to: Type.Optional(Type.String({ ...DATE_TIME, description: 'end of the period, exclusive; default: now. Hourly buckets whose start lies in [from, to) count' })),
};
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'rows (1..100, default 20)' }));

export const PeriodQuery = Type.Object(PeriodFields, strict);
const SLUG = { pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 100 } as const;
const CategorySlug = Type.String({ ...SLUG, description: 'a category slug' });
export const TopProductsQuery = Type.Object({
  ...PeriodFields,
  metric: Type.Optional(Type.Union([Type.Literal('views'), Type.Literal('carts'), Type.Literal('purchases'), Type.Literal('revenue')], { default: 'views' })),
  category: Type.Optional(CategorySlug),
  limit: Limit,
}, strict);
export const QueriesQuery = Type.Object({
  ...PeriodFields,
  kind: Type.Optional(Type.Union([Type.Literal('top'), Type.Literal('no-results'), Type.Literal('low-ctr')], { default: 'top' })),
  minSearches: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 3, description: 'low-ctr: only queries with at least this many searches that had results (default 3)' })),
  limit: Limit,
}, strict);
export const IntervalQuery = Type.Object({
  ...PeriodFields,
  interval: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')], { default: 'day', description: 'UTC days or ISO weeks (from Monday)' })),
}, strict);
export const SellerQuery = Type.Object({ ...PeriodFields, limit: Limit }, strict);

const Span = { from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) };
const Previous = Type.Object(Span, { ...strict, description: 'the period of the same length just before' });
const Money = Type.String({ pattern: '^-?\\d+\\.\\d{2}$', description: 'a decimal amount' });
const Rate = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);
const Growth = Type.Union([Type.Number(), Type.Null()], { description: '(current − previous) ÷ previous; null when the previous period had none' });
const Count = Type.Integer({ minimum: 0 });

const TotalsFields = {
  productViews: Count, pageViews: Count, addToCarts: Count, purchases: Count, orders: Count, revenue: Money, registrations: Count,
  activeShoppers: Count, activeUsers: Count, searches: Count, noResultSearches: Count, clickedSearches: Count, clicks: Count, convertedSearches: Count,
};
const TotalsSchema = Type.Object(TotalsFields, strict);
const GrowthOf = (fields: Record<string, unknown>) => Type.Object(Object.fromEntries(Object.keys(fields).map((k) => [k, Growth])), strict);
const Rates = Type.Object({ clickThroughRate: Rate, conversionRate: Rate, noResultRate: Rate }, strict);

export const Overview = Type.Object({
  ...Span, previous: Previous, totals: TotalsSchema, previousTotals: TotalsSchema, growth: GrowthOf(TotalsFields), rates: Rates, previousRates: Rates,
}, strict);

const ItemRow = {
  itemId: Type.String({ format: 'uuid' }), name: Type.Union([Type.String(), Type.Null()], { description: 'null: the item is not known (yet) from item-events' }),
  category: Type.Union([Type.String(), Type.Null()]), views: Count, carts: Count, purchases: Count, revenue: Money,
};
export const TopProducts = Type.Object({
  ...Span, metric: Type.String(), category: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(Type.Object({ ...ItemRow, sellerId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]) }, strict)),
}, strict);

export const Queries = Type.Object({
  ...Span, kind: Type.String(),
  queries: Type.Array(Type.Object({
    query: Type.String(), searches: Count, noResults: Count, clickedSearches: Count, clicks: Count, convertedSearches: Count,
    averagePosition: Type.Union([Type.Number({ minimum: 1 }), Type.Null()], { description: 'mean position of the clicked results' }),
    clickThroughRate: Rate, conversionRate: Rate, noResultRate: Rate,
  }, strict)),
}, strict);

const SalesTotalsFields = { orders: Count, revenue: Money };
export const Sales = Type.Object({
  ...Span, previous: Previous, interval: Type.String(),
  points: Type.Array(Type.Object({ start: Type.String({ format: 'date' }), orders: Count, revenue: Money, ordersGrowth: Growth, revenueGrowth: Growth }, strict)),
  totals: Type.Object(SalesTotalsFields, strict), previousTotals: Type.Object(SalesTotalsFields, strict), growth: GrowthOf(SalesTotalsFields),
}, strict);

const UsersTotalsFields = { registrations: Count, activeShoppers: Count, activeUsers: Count };
export const Users = Type.Object({
  ...Span, previous: Previous, interval: Type.String(),
  points: Type.Array(Type.Object({ start: Type.String({ format: 'date' }), registrations: Count, activeShoppers: Count, activeUsers: Count, registrationsGrowth: Growth }, strict)),
  totals: Type.Object(UsersTotalsFields, strict), previousTotals: Type.Object(UsersTotalsFields, strict), growth: GrowthOf(UsersTotalsFields),
}, strict);

const SellerTotalsFields = { views: Count, carts: Count, purchases: Count, revenue: Money };
export const SellerReport = Type.Object({
  ...Span, previous: Previous, sellerId: Type.String({ format: 'uuid' }),
  totals: Type.Object(SellerTotalsFields, strict), previousTotals: Type.Object(SellerTotalsFields, strict), growth: GrowthOf(SellerTotalsFields),
  items: Type.Array(Type.Object(ItemRow, strict), { description: "the caller's items with activity in the period, most viewed first" }),
}, strict);

export const PopularQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_000, default: 1_000, description: 'queries (1..5000, default 1000)' })),
}, strict);
export const PopularQueries = Type.Object({
  queries: Type.Array(Type.Object({
    query: Type.String({ description: 'the normalized query' }),
    score: Type.Number({ minimum: 0, description: 'Σ over (shopper, day) of 0.5^(age in days ÷ 7)' }),
    shoppers: Type.Integer({ minimum: 2, description: 'different shoppers (users or anonymous ids) who searched it' }),
  }, strict)),
}, strict);

export const ASPECTS_LIMIT_MAX = 50;
export const ReviewAspectsQuery = Type.Object({
  category: Type.Optional(Type.String({ ...SLUG, description: 'only this category (a slug); default: every category, items not yet known from item-events last (category null)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: ASPECTS_LIMIT_MAX, default: 5, description: `aspects per category (1..${ASPECTS_LIMIT_MAX}, default 5), most criticized first` })),
}, strict);
export const ReviewAspects = Type.Object({
  category: Type.Union([CategorySlug, Type.Null()], { description: 'the category asked for, null: all' }),
  limit: Type.Integer({ minimum: 1, maximum: ASPECTS_LIMIT_MAX }),
  categories: Type.Array(Type.Object({
    category: Type.Union([Type.String(), Type.Null()], { description: 'null: items not (yet) known from item-events' }),
    aspects: Type.Array(Type.Object({
      aspect: AspectName,
      items: Type.Integer({ minimum: 1, description: "items whose current review summary names the aspect" }),
      mentions: Type.Integer({ minimum: 0, description: "their live reviews naming it (positive, negative or neutral)" }),
      positive: Type.Integer({ minimum: 0, description: 'reviews praising it' }),
      negative: Type.Integer({ minimum: 1, description: 'reviews criticizing it' }),
      negativeShare: Type.Number({ minimum: 0, maximum: 1, description: 'negative ÷ (positive + negative), 4 places' }),
    }, strict), { minItems: 1, maxItems: ASPECTS_LIMIT_MAX, description: 'aspects with at least one negative mention, by negative mentions, then share, then name' }),
  }, strict), { description: 'categories by slug (null last); a category without criticized aspects is left out' }),
}, strict);

import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { decodeJson, encodeJson, schemaErrors, Timestamp, Uuid, type Validation } from './codec.ts';

/**
 * Topic `user-activity` (3 partitions), key = the user id, else the anonymous id (one shopper's events stay
 * in order). Produced by the analytics collector (client events, through its outbox), search, facade and cart
 * (the kit's activity emitter); purchases are derived by analytics from `order-events`. Headers: `traceparent`,
 * `content-type`. Dead letters go to `user-activity.dlq` with the reason. No IP address, no e-mail, no name.
 */
export const USER_ACTIVITY_TOPIC = 'user-activity';
export const USER_ACTIVITY_DLQ_TOPIC = 'user-activity.dlq';
export const ACTIVITY_TYPES = ['search', 'search_click', 'product_view', 'add_to_cart', 'remove_from_cart', 'purchase', 'page_view'] as const;
/** The types a client (browser, app) may send to `POST /api/activity`; the others come from the servers that know them. */
export const CLIENT_ACTIVITY_TYPES = ['search_click', 'page_view'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** The header that carries a client's anonymous id (a random id the client keeps, e.g. in localStorage). */
export const ANONYMOUS_ID_HEADER = 'x-anonymous-id';
/** An anonymous id: 8..64 characters of letters, digits, `_`, `-`, `.`, `:` (a UUID fits). */
export const ANONYMOUS_ID_PATTERN = '^[A-Za-z0-9_.:-]{8,64}$';
const ANONYMOUS_ID = new RegExp(ANONYMOUS_ID_PATTERN);
/** A valid anonymous id or undefined (a header value as sent). */
export const anonymousIdFrom = (value: unknown): string | undefined =>
  typeof value === 'string' && ANONYMOUS_ID.test(value) ? value : undefined;

/** A decimal amount with two fraction digits ("1999.90"). */
const Amount = Type.String({ pattern: '^(0|[1-9]\\d{0,11})\\.\\d{2}$' });
export const MAX_QUERY_LENGTH = 200;

export const ActivityEvent = Type.Object(
  {
    /** Unique per event: the aggregates count an event id once, however often it is delivered. */
    eventId: Uuid,
    type: Type.Union(ACTIVITY_TYPES.map((t) => Type.Literal(t))),
    occurredAt: Timestamp,
    /** The client's anonymous id (X-Anonymous-Id); for a signed-in caller without one, `user:<userId>`. */
    anonymousId: Type.String({ pattern: ANONYMOUS_ID_PATTERN }),
    /** The signed-in user (from a verified token only, never from the client's say-so). */
    userId: Type.Optional(Uuid),
    sessionId: Type.Optional(Type.String({ pattern: ANONYMOUS_ID_PATTERN })),
    itemId: Type.Optional(Uuid),
    /** search: the id given in the search answer; search_click: the search the click came from. */
    queryId: Type.Optional(Uuid),
    /** search_click: the clicked result's position, 1-based. */
    position: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })),
    /** search: the normalized query (lower case, spaces collapsed; "" for browsing without a query). */
    query: Type.Optional(Type.String({ maxLength: MAX_QUERY_LENGTH })),
    /** search: how many results the query had. */
    results: Type.Optional(Type.Integer({ minimum: 0 })),
    /** add_to_cart, remove_from_cart, purchase: units. */
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })),
    /** purchase: the units' total; add_to_cart: the unit price. */
    value: Type.Optional(Amount),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    /** purchase: the order uid. */
    orderUid: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
    /** page_view: the page's path (no query string). */
    path: Type.Optional(Type.String({ pattern: '^/[^?#\\u0000]{0,499}$' })),
  },
  { additionalProperties: false },
);

export type ActivityEvent = Static<typeof ActivityEvent>;

/** The fields each type must carry beyond the common ones. */
export const REQUIRED_BY_TYPE: Record<ActivityType, (keyof ActivityEvent)[]> = {
  search: ['queryId', 'query', 'results'],
  search_click: ['queryId', 'itemId', 'position'],
  product_view: ['itemId'],
  add_to_cart: ['itemId', 'quantity'],
  remove_from_cart: ['itemId', 'quantity'],
  purchase: ['itemId', 'quantity', 'value', 'currency', 'userId'],
  page_view: ['path'],
};

const compiled = TypeCompiler.Compile(ActivityEvent);

/** Checks a decoded value against the schema and the per-type rules. */
export function validateActivityEvent(value: unknown): Validation<ActivityEvent> {
  if (!compiled.Check(value)) {
    return { ok: false, errors: schemaErrors(compiled, value) };
  }
  const missing = REQUIRED_BY_TYPE[value.type].filter((field) => value[field] === undefined);
  if (missing.length) return { ok: false, errors: missing.map((field) => `/${field}: required for ${value.type}`) };
  if (Number.isNaN(Date.parse(value.occurredAt))) return { ok: false, errors: ['/occurredAt: not a date'] };
  return { ok: true, value };
}

/** The Kafka key: the user id, else the anonymous id. */
export const activityKey = (event: ActivityEvent): string => event.userId ?? event.anonymousId;

/** The normalized form of a search query: NFKC, lower case, whitespace collapsed, trimmed, at most 200 characters. */
export const normalizeQuery = (q: string): string => q.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY_LENGTH);

export const decodeActivityEvent = (bytes: Buffer | null): Validation<ActivityEvent> => decodeJson(bytes, validateActivityEvent);

/** Producers (collector, the kit's emitter) never publish what consumers would reject. */
export const encodeActivityEvent = (event: ActivityEvent): Buffer => encodeJson(event, validateActivityEvent, 'activity event');

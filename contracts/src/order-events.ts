import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { decodeJson, encodeJson, schemaErrors, Timestamp, Uuid, type Validation } from './codec.ts';

export const ORDER_EVENTS_TOPIC = 'order-events';
export const ORDER_EVENTS_DLQ_TOPIC = 'order-events.dlq';
export const ORDER_EVENT_TYPES = ['order.placed', 'order.paid', 'order.payment_failed', 'order.cancelled', 'order.shipped', 'order.delivered'] as const;
/** The order status after each event type (`data.status` must fit `type`). */
export const ORDER_STATUS_BY_EVENT = {
  'order.placed': 'placed', 'order.paid': 'paid', 'order.payment_failed': 'payment_failed',
  'order.cancelled': 'cancelled', 'order.shipped': 'shipped', 'order.delivered': 'delivered',
} as const;

/** A decimal amount with exactly two fraction digits ("1999.90"); a total may be 0.00, a line price may not. */
const Amount = Type.String({ pattern: '^(0|[1-9]\\d{0,11})\\.\\d{2}$' });

export const OrderStatus = Type.Union(Object.values(ORDER_STATUS_BY_EVENT).map((s) => Type.Literal(s)));

export const OrderLine = Type.Object(
  {
    itemId: Uuid,
    sellerId: Uuid,
    quantity: Type.Integer({ minimum: 1, maximum: 1_000 }),
    /** The unit price as ordered. */
    price: Amount,
  },
  { additionalProperties: false },
);

/** What every order event carries: the order as it is after the change (no personal data: no e-mail, name or address). */
export const OrderEventData = Type.Object(
  {
    /** The order's uid (the `orders` topic's `order_uid`, the Kafka key). */
    orderUid: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    /** The sso user id of the buyer. */
    customerId: Uuid,
    status: OrderStatus,
    total: Amount,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    lines: Type.Array(OrderLine, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

export const OrderEvent = Type.Object(
  {
    id: Uuid,
    type: Type.Union(ORDER_EVENT_TYPES.map((t) => Type.Literal(t))),
    /** The order's own version after this change (increases by one per change). */
    version: Type.Integer({ minimum: 1 }),
    occurredAt: Timestamp,
    source: Type.String({ minLength: 1, maxLength: 100 }),
    data: OrderEventData,
  },
  { additionalProperties: false },
);

export type OrderLine = Static<typeof OrderLine>;
export type OrderEventData = Static<typeof OrderEventData>;
export type OrderEvent = Static<typeof OrderEvent>;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

const compiled = TypeCompiler.Compile(OrderEvent);

/** Checks a decoded value against the envelope schema, including cross-field rules (status fits the type). */
export function validateOrderEvent(value: unknown): Validation<OrderEvent> {
  if (!compiled.Check(value)) {
    return { ok: false, errors: schemaErrors(compiled, value) };
  }
  const expected = ORDER_STATUS_BY_EVENT[value.type];
  if (value.data.status !== expected) return { ok: false, errors: [`/data/status: '${value.data.status}' does not fit event type ${value.type} (expected '${expected}')`] };
  return { ok: true, value };
}

/** Decodes and validates the bytes of a Kafka message value. */
export const decodeOrderEvent = (bytes: Buffer | null): Validation<OrderEvent> => decodeJson(bytes, validateOrderEvent);

/** The producer's encoder (loms' outbox, tests): producers never publish what consumers would reject. */
export const encodeOrderEvent = (event: OrderEvent): Buffer => encodeJson(event, validateOrderEvent, 'order event');

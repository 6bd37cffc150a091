// The order document: the marketplace order model of DESIGN.md ("The order document") that loms publishes
// on `orders` (key = order uid), that external channels send, and that the orders store keeps. Amounts are
// integers in minor units. The schema checks the types; `orderDocumentProblems` the arithmetic a consumer
// checks beyond them (totals, the sale, non-negative amounts).
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { decodeJson, encodeJson, schemaErrors, type Validation } from './codec.ts';

export const ORDERS_TOPIC = 'orders';
export const ORDERS_DLQ_TOPIC = 'orders.dlq';

/** Text of `min..max` characters; required text must not be blank. */
const Text = (max: number, min = 1) => Type.String({ minLength: min, maxLength: max, ...(min > 0 ? { pattern: '\\S' } : {}) });
/** An amount in minor units (kopecks, cents). */
const Minor = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const OrderDelivery = Type.Object({
  name: Text(200),
  phone: Type.String({ pattern: '^\\+[0-9]{7,15}$', description: 'E.164-like: + and 7..15 digits' }),
  zip: Text(20),
  city: Text(200),
  address: Text(500),
  region: Text(200),
  email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' }),
}, { additionalProperties: false });

export const OrderPayment = Type.Object({
  transaction: Text(64),
  request_id: Text(64, 0),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  provider: Text(64),
  amount: Minor,
  payment_dt: Type.Integer({ minimum: 0, description: 'unix seconds' }),
  bank: Text(64, 0),
  delivery_cost: Minor,
  goods_total: Minor,
  custom_fee: Minor,
}, { additionalProperties: false });

export const OrderItem = Type.Object({
  chrt_id: Type.Integer({ minimum: 0 }),
  track_number: Text(64),
  price: Minor,
  rid: Text(64),
  name: Text(200),
  sale: Type.Integer({ minimum: 0, maximum: 100, description: 'percent' }),
  size: Text(32, 0),
  total_price: Minor,
  nm_id: Type.Integer({ minimum: 0 }),
  brand: Text(200, 0),
  status: Type.Integer(),
}, { additionalProperties: false });

export const OrderDocument = Type.Object({
  order_uid: Text(64),
  track_number: Text(64),
  entry: Text(64),
  delivery: OrderDelivery,
  payment: OrderPayment,
  items: Type.Array(OrderItem, { minItems: 1, maxItems: 100 }),
  locale: Text(16),
  internal_signature: Text(256, 0),
  customer_id: Text(64),
  delivery_service: Text(64),
  shardkey: Text(16),
  sm_id: Type.Integer(),
  date_created: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$' }),
  oof_shard: Text(16),
}, { additionalProperties: false });

export type OrderDelivery = Static<typeof OrderDelivery>;
export type OrderPayment = Static<typeof OrderPayment>;
export type OrderItem = Static<typeof OrderItem>;
export type OrderDocument = Static<typeof OrderDocument>;

/** An item's total after its sale: round(price × (100 − sale) / 100), half up, in integers (no float error). */
export const saleTotal = (price: number, sale: number): number => Math.floor((price * (100 - sale) + 50) / 100);

/**
 * The consistency rules beyond the types (DESIGN.md): goods_total = Σ items.total_price, amount = goods_total +
 * delivery_cost + custom_fee, total_price = round(price × (100 − sale)/100), amounts ≥ 0, 1..100 items.
 * Answers every rule broken, as JSON pointers with a message (empty: consistent).
 */
export function orderDocumentProblems(doc: OrderDocument): string[] {
  const problems: string[] = [];
  if (doc.items.length < 1 || doc.items.length > 100) problems.push(`/items: ${doc.items.length} items (1..100 allowed)`);
  const amounts: [string, number][] = [
    ['/payment/amount', doc.payment.amount], ['/payment/delivery_cost', doc.payment.delivery_cost],
    ['/payment/goods_total', doc.payment.goods_total], ['/payment/custom_fee', doc.payment.custom_fee],
    ...doc.items.flatMap((item, i): [string, number][] => [[`/items/${i}/price`, item.price], [`/items/${i}/total_price`, item.total_price]]),
  ];
  for (const [pointer, value] of amounts) if (!Number.isSafeInteger(value) || value < 0) problems.push(`${pointer}: ${value} is not a non-negative integer amount`);
  doc.items.forEach((item, i) => {
    const expected = saleTotal(item.price, item.sale);
    if (item.total_price !== expected) problems.push(`/items/${i}/total_price: ${item.total_price} ≠ round(${item.price} × (100 − ${item.sale})/100) = ${expected}`);
  });
  const goods = doc.items.reduce((sum, item) => sum + item.total_price, 0);
  if (doc.payment.goods_total !== goods) problems.push(`/payment/goods_total: ${doc.payment.goods_total} ≠ Σ items.total_price = ${goods}`);
  const amount = doc.payment.goods_total + doc.payment.delivery_cost + doc.payment.custom_fee;
  if (doc.payment.amount !== amount) problems.push(`/payment/amount: ${doc.payment.amount} ≠ goods_total + delivery_cost + custom_fee = ${amount}`);
  return problems;
}

const compiled = TypeCompiler.Compile(OrderDocument);

/** The schema, then the consistency rules. */
export function validateOrderDocument(value: unknown): Validation<OrderDocument> {
  if (!compiled.Check(value)) return { ok: false, errors: schemaErrors(compiled, value) };
  const problems = orderDocumentProblems(value);
  return problems.length ? { ok: false, errors: problems } : { ok: true, value };
}

export const decodeOrderDocument = (bytes: Buffer | null): Validation<OrderDocument> => decodeJson(bytes, validateOrderDocument);
export const encodeOrderDocument = (doc: OrderDocument): Buffer => encodeJson(doc, validateOrderDocument, 'order document');

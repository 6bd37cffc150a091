import { OrderDelivery } from '@shop/contracts/orders';
import { Type } from '@shop/kit';

const strict = { additionalProperties: false } as const;

/** The delivery of the order document (the contract's schema: the same limits here and on `orders`). */
export const Delivery = OrderDelivery;

export const Card = Type.Object({
  number: Type.String({ pattern: '^[0-9]{12,19}$', description: '12..19 digits, Luhn-valid. Sandbox: 4242424242424242 approves, 4000000000000002 is declined, 4000000000009995 has insufficient funds' }),
  expMonth: Type.Integer({ minimum: 1, maximum: 12 }),
  expYear: Type.Integer({ minimum: 2000, maximum: 2100, description: 'four digits; a card past its month is a 400 card-expired' }),
  cvc: Type.String({ pattern: '^[0-9]{3,4}$' }),
}, strict);

export const CheckoutBody = Type.Object({
  delivery: Delivery,
  payment: Type.Object({ provider: Type.Literal('sandbox'), card: Card }, strict),
}, strict);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 8, maxLength: 255, description: 'a unique key per order attempt (IETF idempotency-key draft): the same key and body again answer the stored answer; kept 24 h' }),
});

export const Placed = Type.Object({
  orderUid: Type.String(),
  status: Type.String({ description: 'paid' }),
  total: Type.String({ pattern: '^\\d+\\.\\d{2}$', description: 'the amount charged, "1999.90"' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  trackNumber: Type.String(),
});

export const UidParams = Type.Object({ uid: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'the order uid' }) }, { additionalProperties: false });

export const OrderView = Type.Object({
  orderUid: Type.String(),
  customerId: Type.String({ description: 'the sso user id of the buyer' }),
  status: Type.Unsafe<string>({ type: 'string', enum: ['placed', 'paid', 'payment_failed', 'cancelled', 'shipped', 'delivered'] }),
  version: Type.Integer({ minimum: 1, description: '+1 per change (the order-events version)' }),
  total: Type.String({ pattern: '^\\d+\\.\\d{2}$' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  trackNumber: Type.String(),
  lines: Type.Array(Type.Object({ itemId: Type.String(), sellerId: Type.String(), quantity: Type.Integer({ minimum: 1 }), price: Type.String() })),
});

import { Type } from '@shop/kit';

const strict = { additionalProperties: false } as const;
const Price = Type.String({ pattern: '^\\d+\\.\\d{2}$', description: 'a decimal with two fraction digits, like "1999.90"' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });
const Uuid = Type.String({ format: 'uuid' });

export const ItemParams = Type.Object({ itemId: Uuid }, strict);
export const UserParams = Type.Object({ userId: Type.String({ format: 'uuid', description: 'the sso user id' }) }, strict);

export const QuantityBody = Type.Object({
  quantity: Type.Integer({ minimum: 1, maximum: 99, description: 'how many of the item (1..99)' }),
}, strict);

const lineFields = {
  itemId: Uuid,
  name: Type.String(),
  image: Type.Union([Type.String(), Type.Null()], { description: "the item's first thumbnail URL" }),
  price: Type.String({ ...Price, description: 'the price now (as added, when the catalog could not be asked)' }),
  currency: Currency,
  quantity: Type.Integer({ minimum: 1, maximum: 99 }),
  available: Type.Boolean({ description: 'the line can be ordered as it stands (sold, in stock for the quantity, in the cart currency)' }),
};

const CartProblem = Type.Object({
  itemId: Uuid,
  kind: Type.Unsafe<'price_changed' | 'out_of_stock' | 'unavailable'>({ type: 'string', enum: ['price_changed', 'out_of_stock', 'unavailable'] }),
  detail: Type.String(),
});

const cartFields = {
  total: Type.String({ ...Price, description: 'Σ price × quantity of the available lines, in the cart currency' }),
  currency: Type.String({ ...Currency, description: 'the currency of the line added first (RUB for an empty cart)' }),
  problems: Type.Array(CartProblem, { description: 'what changed since the lines were added, or stands in the way of ordering them' }),
};

export const CartView = Type.Object({
  items: Type.Array(Type.Object(lineFields), { description: 'oldest first' }),
  ...cartFields,
});

export const InternalCartView = Type.Object({
  userId: Type.String(),
  version: Type.Integer({ minimum: 0, description: 'the cart version (also the ETag); DELETE ?upToVersion= clears the lines as they were then' }),
  items: Type.Array(Type.Object({
    ...lineFields,
    addedPrice: Type.String({ ...Price, description: 'the price when the shopper last set the line' }),
    addedCurrency: Currency,
    addedAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    sellerId: Type.Union([Type.String(), Type.Null()]),
    article: Type.Union([Type.Integer(), Type.Null()]),
    brand: Type.Union([Type.String(), Type.Null()]),
    stock: Type.Union([Type.Integer(), Type.Null()]),
  })),
  ...cartFields,
});

export const ClearQuery = Type.Object({
  upToVersion: Type.Optional(Type.Integer({ minimum: 0, description: 'remove only the lines last changed at or before this cart version (the one the order was made from); without it every line' })),
}, strict);

export const ClearResult = Type.Object({
  removed: Type.Array(Type.String(), { description: 'item ids of the removed lines' }),
  version: Type.Integer({ minimum: 0 }),
});

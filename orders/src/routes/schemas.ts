import { OrderDocument, ORDER_STATUS_BY_EVENT } from '@shop/contracts';
import { Type } from '@shop/kit';

const strict = { additionalProperties: false } as const;
export const MAX_PAGE_SIZE = 100;
export const MAX_PAGE = 10_000;
export const DEFAULT_PAGE_SIZE = 20;

export const UidParams = Type.Object({
  uid: Type.String({ minLength: 1, maxLength: 64, description: 'the order uid (1..64 characters)' }),
}, strict);

export const ListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1, description: `page number from 1 (at most ${MAX_PAGE})` }),
  size: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: `orders per page (1..${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE})` }),
  customerId: Type.Optional(Type.String({
    minLength: 1, maxLength: 64,
    description: "admins: only this customer's orders; anyone else: their own id or an empty page (1..64 characters)",
  })),
}, strict);

const statuses = [...new Set(Object.values(ORDER_STATUS_BY_EVENT))];
const Status = Type.Unsafe<(typeof statuses)[number]>({ type: 'string', enum: statuses });

export const Order = Type.Object({
  ...OrderDocument.properties,
  status: Type.Union([Status, Type.Null()], { description: 'the current status from loms\'s order events; null for an order with none (an outside channel\'s)' }),
  history: Type.Array(Type.Object({ status: Status, at: Type.String({ format: 'date-time' }) }), { description: 'every status the order had, oldest first' }),
}, { description: 'The order document (DESIGN.md, "The order document") with its status and history' });

export const OrderPage = Type.Object({
  page: Type.Integer(),
  size: Type.Integer(),
  total: Type.Integer({ description: 'orders matching, all pages' }),
  items: Type.Array(Order, { description: 'newest first (date_created)' }),
});

import { ORDER_EVENT_TYPES } from '@shop/contracts';
import { Type } from '@shop/kit';

const strict = { additionalProperties: false } as const;
export const MAX_PAGE = 100;
export const CURSOR_PATTERN = '^\\d{1,15}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const DEFAULT_PAGE = 20;

export const ListQuery = Type.Object({
  unread: Type.Optional(Type.Boolean({ description: 'true: only unread; false: only read; absent: all' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE, description: `page size (1..${MAX_PAGE}, default ${DEFAULT_PAGE})` })),
  cursor: Type.Optional(Type.String({ pattern: CURSOR_PATTERN, description: 'nextCursor of the previous page: the page goes on after that position (`<createdAt in ms>_<id>`)' })),
}, strict);

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, strict);

export const Notification = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.Unsafe<(typeof ORDER_EVENT_TYPES)[number]>({ type: 'string', enum: [...ORDER_EVENT_TYPES], description: 'the order event this is about' }),
  orderUid: Type.String(),
  title: Type.String({ description: "in the order's language (Russian or English; English when unknown)" }),
  body: Type.String(),
  createdAt: Type.String({ format: 'date-time', description: 'when the change happened' }),
  readAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const NotificationPage = Type.Object({
  items: Type.Array(Notification, { description: 'newest first' }),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next (older) page; null on the last page' }),
});

import { NON_BLANK_TEXT_PATTERN, Type, problems, requireService, type App } from '@shop/kit';
import { Price } from '@shop/contracts';
import { MAX_LINES, type ReservationService } from '../services/reservations.ts';
import { Article, Uuid } from './schemas.ts';

/** The scope a service token needs for every reservation route (loms is the client that has it). */
export const RESERVE_SCOPE = 'stock:reserve';

const tags = ['internal: reservations'];
const strict = { additionalProperties: false } as const;

const OrderUid = Type.String({ minLength: 1, maxLength: 64, pattern: NON_BLANK_TEXT_PATTERN, description: 'the order uid (order_uid of the order document), 1..64 characters' });
const OrderParams = Type.Object({ orderUid: OrderUid }, strict);

export const ReserveBody = Type.Object({
  orderUid: OrderUid,
  lines: Type.Array(Type.Object({
    itemId: Uuid,
    quantity: Type.Integer({ minimum: 1, maximum: 10_000 }),
  }, strict), { minItems: 1, maxItems: MAX_LINES, description: 'one line per item (an item twice is a 400)' }),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'how long the units stay held; default RESERVATION_TTL_SECONDS (900). Ignored when the order is already reserved' })),
}, strict);

const ReservationLine = Type.Object({
  itemId: Uuid,
  article: Article,
  sellerId: Uuid,
  name: Type.String(),
  brand: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  price: Type.String({ ...Price, description: 'the item price when the units were reserved: what the order charges per unit' }),
  currency: Type.String(),
});

export const ReservationView = Type.Object({
  orderUid: Type.String(),
  state: Type.String({ enum: ['held', 'committed', 'released'] }),
  releaseReason: Type.Union([Type.String({ enum: ['released', 'expired', 'restocked'] }), Type.Null()], { description: 'why a released reservation was released' }),
  expiresAt: Type.String({ format: 'date-time', description: 'held units are released after this unless committed' }),
  createdAt: Type.String({ format: 'date-time' }),
  committedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  releasedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lines: Type.Array(ReservationLine, { description: 'in item id order' }),
});

/**
 * Service-to-service routes for loms (never routed by the proxy, hidden from the public document): hold,
 * commit, release and restock the stock of an order. Every route needs a service token with `stock:reserve`.
 */
export async function reservationRoutes(app: App, { reservations }: { reservations: ReservationService }): Promise<void> {
  const guard = requireService(RESERVE_SCOPE);

  app.post('/internal/reservations', {
    schema: {
      tags, summary: 'Hold stock for an order: every line or none (service scope stock:reserve)', body: ReserveBody,
      response: {
        201: ReservationView,
        200: { ...ReservationView, description: 'the order was already reserved with the same lines: its reservation as it is now' },
        ...problems(
          [404, 'an item is unknown or deleted (itemIds)'],
          [409, 'out-of-stock: not enough available units (lines: [{itemId, requested, available}]); item-unavailable: an item is hidden (itemIds)'],
          [422, 'the order is already reserved with other lines'],
        ),
      },
    },
    preValidation: guard,
  }, async (request, reply) => {
    const { reservation, created } = await reservations.reserve(request.body);
    return reply.code(created ? 201 : 200).send(reservation);
  });

  app.get('/internal/reservations/:orderUid', {
    schema: { tags, summary: "An order's reservation (service scope stock:reserve)", params: OrderParams, response: { 200: ReservationView } },
    preValidation: guard,
  }, async (request) => reservations.get(request.params.orderUid));

  /** The three transitions: the same shape, each idempotent, each with its own conflict. */
  const transitions = {
    commit: ['The order is paid: the held units leave the stock (idempotent)', 'reservation-released or reservation-expired: the units are no longer held'],
    release: ['The order is abandoned before payment: the held units return (idempotent)', 'reservation-committed: restock it instead'],
    restock: ['A paid order is cancelled or refunded: the committed units return to stock (idempotent)', 'reservation-not-committed: release it instead'],
  } as const;
  for (const [action, [summary, conflict]] of Object.entries(transitions) as [keyof typeof transitions, readonly [string, string]][]) {
    app.post(`/internal/reservations/:orderUid/${action}`, {
      schema: { tags, summary, params: OrderParams, response: { 200: ReservationView, ...problems([409, conflict]) } },
      preValidation: guard,
    }, async (request) => reservations[action](request.params.orderUid));
  }
}

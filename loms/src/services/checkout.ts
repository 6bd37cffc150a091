// Checkout: the caller's cart (cart service) → a reservation of every line at item-crud, priced from its answer
// (never from the client) → the charge (payment provider) → commit → the order recorded with its outbox rows
// (the order document on `orders`, order.placed + order.paid on `order-events`) → the ordered lines leave
// the cart. A decline releases the reservation and records the order as payment_failed.
import { randomUUID } from 'node:crypto';
import { HttpProblem, outboxHeaders, problemType, type OutboxMessage } from '@shop/kit';
import { ORDERS_TOPIC, validateOrderDocument, type OrderDelivery, type OrderDocument } from '@shop/contracts/orders';
import type { OrderLineRow, OrderRepository } from '../repositories/orders.ts';
import { UpstreamError, type Reservation, type ReservationLine, type Upstreams } from '../repositories/upstreams.ts';
import { fromMinor, toMinor } from './money.ts';
import { cardExpired, luhnValid, type Card, type PaymentProvider } from './payments.ts';

export const ORDER_EVENTS_TOPIC = 'order-events';
export const SOURCE = 'loms';
/** The order document's limit: one `items[]` entry per unit, 1..100 entries. */
export const MAX_UNITS = 100;

export interface CheckoutInput { delivery: OrderDelivery; payment: { provider: 'sandbox'; card: Card } }
export interface Placed { orderUid: string; status: string; total: string; currency: string; trackNumber: string }
/** A final answer worth keeping under the Idempotency-Key: the order was made (201) or refused by the payment (402). */
export interface Answer { statusCode: 201 | 402; body: Placed | Record<string, unknown> }

interface Log { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void }

const problem = (status: number, slug: string, detail: string, extensions: Record<string, unknown> = {}) =>
  new HttpProblem(status, detail, { type: problemType(slug), extensions });

/** The order-events envelope of DESIGN.md. */
export function orderEvent(type: string, version: number, data: { orderUid: string; customerId: string; status: string; totalMinor: number; currency: string; lines: OrderLineRow[] }) {
  return {
    id: randomUUID(), type, version, occurredAt: new Date().toISOString(), source: SOURCE,
    data: { orderUid: data.orderUid, customerId: data.customerId, status: data.status, total: fromMinor(data.totalMinor), currency: data.currency, lines: data.lines },
  };
}

export const eventMessage = (event: ReturnType<typeof orderEvent>): OutboxMessage => ({
  eventId: event.id, topic: ORDER_EVENTS_TOPIC, key: event.data.orderUid, payload: event, headers: outboxHeaders(),
});

export class CheckoutService {
  private readonly orders: OrderRepository;
  private readonly upstreams: Upstreams;
  private readonly provider: PaymentProvider;
  private readonly options: { deliveryCostMinor: number; log: Log };
  constructor(orders: OrderRepository, upstreams: Upstreams, provider: PaymentProvider, options: { deliveryCostMinor: number; log: Log }) {
    this.orders = orders;
    this.upstreams = upstreams;
    this.provider = provider;
    this.options = options;
  }

  /** Checks of the card that need no one else: Luhn (400), expiry (400). */
  static checkCard(card: Card): void {
    if (!luhnValid(card.number)) {
      throw new HttpProblem(400, 'The card number fails the Luhn check', { type: problemType('validation'), extensions: { errors: [{ location: 'body', pointer: '/payment/card/number', message: 'fails the Luhn check' }] } });
    }
    if (cardExpired(card)) {
      throw new HttpProblem(400, 'The card has expired', { type: problemType('card-expired'), extensions: { errors: [{ location: 'body', pointer: '/payment/card', message: 'expired' }] } });
    }
  }

  async checkout(userId: string, input: CheckoutInput, requestId: string, onOrderUid?: (orderUid: string) => Promise<void>): Promise<Answer> {
    CheckoutService.checkCard(input.payment.card);
    const cart = await this.upstreams.cart(userId, requestId);
    const wanted = cart.items.map((l) => ({ itemId: l.itemId, quantity: l.quantity }));
    if (wanted.length === 0) throw problem(400, 'empty-cart', 'The cart is empty: nothing to order');
    const units = wanted.reduce((sum, l) => sum + l.quantity, 0);
    if (units > MAX_UNITS) throw problem(400, 'too-many-units', `An order holds at most ${MAX_UNITS} units (the order document has one entry per unit); the cart holds ${units}`);

    const orderUid = randomUUID().replaceAll('-', '');
    await onOrderUid?.(orderUid);
    const reservation = await this.reserve(orderUid, wanted, requestId);
    const lines = reservation.lines;
    const currencies = new Set(lines.map((l) => l.currency));
    if (currencies.size !== 1) {
      await this.release(orderUid, requestId);
      throw problem(409, 'mixed-currencies', `The cart holds items in several currencies (${[...currencies].join(', ')}): order them separately`);
    }
    const currency = lines[0]!.currency;
    const goodsMinor = lines.reduce((sum, l) => sum + toMinor(l.price) * l.quantity, 0);
    const totalMinor = goodsMinor + this.options.deliveryCostMinor;
    const orderLines: OrderLineRow[] = lines.map((l) => ({ itemId: l.itemId, sellerId: l.sellerId, quantity: l.quantity, price: l.price }));
    const trackNumber = `LOMS${orderUid.slice(0, 12).toUpperCase()}`;

    const charge = await this.provider.charge({ orderUid, amountMinor: totalMinor, currency, card: input.payment.card });
    const base = { uid: orderUid, customerId: userId, totalMinor, currency, trackNumber, lines: orderLines, cardLast4: charge.last4 };
    const eventData = { orderUid, customerId: userId, totalMinor, currency, lines: orderLines };

    if (charge.outcome !== 'approved') {
      await this.release(orderUid, requestId);
      const placed = orderEvent('order.placed', 1, { ...eventData, status: 'placed' });
      const failed = orderEvent('order.payment_failed', 2, { ...eventData, status: 'payment_failed' });
      await this.orders.insert({ ...base, status: 'payment_failed', version: 2, document: {} }, [eventMessage(placed), eventMessage(failed)]);
      this.options.log.info({ orderUid, outcome: charge.outcome, last4: charge.last4 }, 'payment refused');
      const detail = charge.outcome === 'declined' ? 'The card was declined' : 'The card has insufficient funds';
      return {
        statusCode: 402,
        body: { type: problemType('payment-declined'), title: 'Payment Required', status: 402, detail, reason: charge.outcome, orderUid },
      };
    }

    const committed = await this.upstreams.reservationAction(orderUid, 'commit', requestId);
    if (committed.status !== 200) {
      // Held past its expiry (released by item-crud): the money goes back, nothing is recorded as sold.
      await this.provider.refund(orderUid);
      throw problem(409, 'reservation-expired', 'The reservation expired before the payment was taken; nothing was charged, try again');
    }

    const document = this.document({ orderUid, userId, trackNumber, delivery: input.delivery, lines, goodsMinor, totalMinor, currency, requestId });
    const placed = orderEvent('order.placed', 1, { ...eventData, status: 'placed' });
    const paid = orderEvent('order.paid', 2, { ...eventData, status: 'paid' });
    await this.orders.insert({ ...base, status: 'paid', version: 2, document }, [
      { eventId: randomUUID(), topic: ORDERS_TOPIC, key: orderUid, payload: document, headers: outboxHeaders() },
      eventMessage(placed), eventMessage(paid),
    ]);
    try {
      await this.upstreams.clearCart(userId, cart.version, requestId);
    } catch (err) {
      this.options.log.warn({ err, orderUid }, 'the order is placed but the cart could not be cleared');
    }
    return { statusCode: 201, body: { orderUid, status: 'paid', total: fromMinor(totalMinor), currency, trackNumber } };
  }

  private async reserve(orderUid: string, lines: { itemId: string; quantity: number }[], requestId: string): Promise<Reservation> {
    const { status, body } = await this.upstreams.reserve(orderUid, lines, requestId);
    if (status === 200 || status === 201) return body;
    const type = String(body?.type ?? '');
    if (status === 409 && type.endsWith('out-of-stock')) {
      throw problem(409, 'out-of-stock', 'Not enough stock for some lines of the cart', { lines: body.lines });
    }
    if (status === 409 || status === 404) {
      throw problem(409, 'item-unavailable', 'Some items of the cart are no longer sold', { itemIds: body.itemIds ?? [] });
    }
    throw new UpstreamError('item-crud', status, `reserving answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
  }

  private async release(orderUid: string, requestId: string): Promise<void> {
    const { status } = await this.upstreams.reservationAction(orderUid, 'release', requestId);
    if (status !== 200) throw new UpstreamError('item-crud', status, `releasing ${orderUid} answered ${status}`);
  }

  private document(o: { orderUid: string; userId: string; trackNumber: string; delivery: OrderDelivery; lines: ReservationLine[]; goodsMinor: number; totalMinor: number; currency: string; requestId: string }): OrderDocument {
    let n = 0;
    const items = o.lines.flatMap((l) => Array.from({ length: l.quantity }, () => {
      const price = toMinor(l.price);
      return {
        chrt_id: l.article, track_number: o.trackNumber, price, rid: `${o.orderUid}-${++n}`, name: l.name, sale: 0, size: '0',
        total_price: price, nm_id: l.article, brand: l.brand ?? '', status: 202,
      };
    }));
    const now = new Date();
    const doc: OrderDocument = {
      order_uid: o.orderUid, track_number: o.trackNumber, entry: 'LOMS', delivery: o.delivery,
      payment: {
        transaction: o.orderUid, request_id: o.requestId.slice(0, 64), currency: o.currency, provider: this.provider.name, amount: o.totalMinor,
        payment_dt: Math.floor(now.getTime() / 1000), bank: this.provider.name, delivery_cost: this.options.deliveryCostMinor, goods_total: o.goodsMinor, custom_fee: 0,
      },
      items, locale: 'ru', internal_signature: '', customer_id: o.userId, delivery_service: 'shop',
      shardkey: String(parseInt(o.orderUid.slice(0, 2), 16) % 10), sm_id: 1, date_created: now.toISOString(), oof_shard: '1',
    };
    const valid = validateOrderDocument(doc);
    if (!valid.ok) throw new Error(`the order document of ${o.orderUid} is inconsistent: ${valid.errors.join('; ')}`);
    return doc;
  }
}

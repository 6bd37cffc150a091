// Checkout: the caller's cart (cart service) → a reservation of every line at item-crud, priced from its answer
// (never from the client) → the charge (payment provider) → commit → the order recorded with its outbox rows
// (the order document on `orders`, order.placed + order.paid on `order-events`) → the ordered lines leave
// the cart. A decline releases the reservation and records the order as payment_failed.
import { randomUUID } from 'node:crypto';
import { HttpProblem, outboxHeaders, problemType, type OutboxMessage } from '@shop/kit';
import { validateOrderEvent } from '@shop/contracts';
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

/** The outbox row of an order event, validated against the order-events contract first (never publish what consumers refuse). */
export function eventMessage(event: ReturnType<typeof orderEvent>): OutboxMessage {
  const valid = validateOrderEvent(event);
  if (!valid.ok) throw new Error(`invalid order event: ${valid.errors.join('; ')}`);
  return { eventId: event.id, topic: ORDER_EVENTS_TOPIC, key: event.data.orderUid, payload: event, headers: outboxHeaders() };
}

/** What a checkout needs to be finished by anyone (the request, or the recovery pass after a crash). */
interface Progress {
  orderUid: string; customerId: string; key: string | null; cartVersion: number; delivery: OrderDelivery; cardLast4: string; lines: ReservationLine[];
}

/** Test seams: called after each recorded step (a kill -9 test pauses there). */
export interface CheckoutHooks {
  afterStep?: (step: 'reserved' | 'charged' | 'recorded', orderUid: string) => Promise<void> | void;
}

const declinedAnswer = (orderUid: string, outcome: string): Answer => ({
  statusCode: 402,
  body: {
    type: problemType('payment-declined'), title: 'Payment Required', status: 402,
    detail: outcome === 'declined' ? 'The card was declined' : 'The card has insufficient funds', reason: outcome, orderUid,
  },
});

const placedAnswer = (o: { orderUid: string; totalMinor: number; currency: string; trackNumber: string }): Answer =>
  ({ statusCode: 201, body: { orderUid: o.orderUid, status: 'paid', total: fromMinor(o.totalMinor), currency: o.currency, trackNumber: o.trackNumber } });

export class CheckoutService {
  private readonly hooks: CheckoutHooks;
  private readonly orders: OrderRepository;
  private readonly upstreams: Upstreams;
  private readonly provider: PaymentProvider;
  private readonly options: { deliveryCostMinor: number; log: Log };
  constructor(orders: OrderRepository, upstreams: Upstreams, provider: PaymentProvider, options: { deliveryCostMinor: number; log: Log }, hooks: CheckoutHooks = {}) {
    this.hooks = hooks;
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

  async checkout(userId: string, input: CheckoutInput, requestId: string, key: string | null = null): Promise<Answer> {
    CheckoutService.checkCard(input.payment.card);
    const cart = await this.upstreams.cart(userId, requestId);
    const wanted = cart.items.map((l) => ({ itemId: l.itemId, quantity: l.quantity }));
    if (wanted.length === 0) throw problem(400, 'empty-cart', 'The cart is empty: nothing to order');
    const units = wanted.reduce((sum, l) => sum + l.quantity, 0);
    if (units > MAX_UNITS) throw problem(400, 'too-many-units', `An order holds at most ${MAX_UNITS} units (the order document has one entry per unit); the cart holds ${units}`);

    // Every step is written down before the next relies on it: a crash anywhere leaves a row the recovery pass finishes.
    const orderUid = randomUUID().replaceAll('-', '');
    const card = input.payment.card;
    const progress: Progress = { orderUid, customerId: userId, key, cartVersion: cart.version, delivery: input.delivery, cardLast4: card.number.slice(-4), lines: [] };
    await this.orders.startCheckout({ ...progress, requestId });
    let lines: ReservationLine[];
    try {
      lines = (await this.reserve(orderUid, wanted, requestId)).lines;
    } catch (err) {
      // Refused: nothing is held. A failure (timeout, 5xx) may have reserved: the recovery pass releases it.
      if (err instanceof HttpProblem) await this.orders.advance(orderUid, ['reserving'], 'released');
      throw err;
    }
    const currencies = new Set(lines.map((l) => l.currency));
    if (currencies.size !== 1) {
      await this.giveBack(orderUid, requestId);
      throw problem(409, 'mixed-currencies', `The cart holds items in several currencies (${[...currencies].join(', ')}): order them separately`);
    }
    progress.lines = lines;
    if (!(await this.orders.advance(orderUid, ['reserving'], 'reserved', { lines }))) throw new Error(`checkout ${orderUid} was taken over by recovery`);
    await this.hooks.afterStep?.('reserved', orderUid);

    const { totalMinor, currency } = this.totals(lines);
    const charge = await this.provider.charge({ orderUid, amountMinor: totalMinor, currency, card });
    if (!(await this.orders.advance(orderUid, ['reserved'], 'charged', { outcome: charge.outcome }))) throw new Error(`checkout ${orderUid} was taken over by recovery`);
    await this.hooks.afterStep?.('charged', orderUid);
    return this.finish(progress, 'charged', charge.outcome, requestId);
  }

  /**
   * From a known charge outcome to the recorded order: a refusal releases the units and records payment_failed;
   * an approval commits the units (unless `from` is committed already) and records the paid order.
   */
  private async finish(p: Progress, from: 'charged' | 'committed', outcome: string, requestId: string): Promise<Answer> {
    const { goodsMinor, totalMinor, currency } = this.totals(p.lines);
    const orderLines: OrderLineRow[] = p.lines.map((l) => ({ itemId: l.itemId, sellerId: l.sellerId, quantity: l.quantity, price: l.price }));
    const trackNumber = `LOMS${p.orderUid.slice(0, 12).toUpperCase()}`;
    const base = { uid: p.orderUid, customerId: p.customerId, totalMinor, currency, trackNumber, lines: orderLines, cardLast4: p.cardLast4 };
    const eventData = { orderUid: p.orderUid, customerId: p.customerId, totalMinor, currency, lines: orderLines };

    if (outcome !== 'approved') {
      await this.release(p.orderUid, requestId);
      const placed = orderEvent('order.placed', 1, { ...eventData, status: 'placed' });
      const failed = orderEvent('order.payment_failed', 2, { ...eventData, status: 'payment_failed' });
      await this.orders.insert({ ...base, status: 'payment_failed', version: 2, document: {} }, [eventMessage(placed), eventMessage(failed)]);
      this.options.log.info({ orderUid: p.orderUid, outcome, last4: p.cardLast4 }, 'payment refused');
      return declinedAnswer(p.orderUid, outcome);
    }

    if (from === 'charged') {
      const committed = await this.upstreams.reservationAction(p.orderUid, 'commit', requestId);
      if (committed.status !== 200) {
        // Held past its expiry (released by item-crud): the money goes back, nothing is recorded as sold.
        await this.provider.refund(p.orderUid);
        await this.orders.advance(p.orderUid, ['charged'], 'released');
        throw problem(409, 'reservation-expired', 'The reservation expired before the payment was taken; the charge was refunded, try again');
      }
      await this.orders.advance(p.orderUid, ['charged'], 'committed');
    }

    const document = this.document({ orderUid: p.orderUid, userId: p.customerId, trackNumber, delivery: p.delivery, lines: p.lines, goodsMinor, totalMinor, currency, requestId });
    const placed = orderEvent('order.placed', 1, { ...eventData, status: 'placed' });
    const paid = orderEvent('order.paid', 2, { ...eventData, status: 'paid' });
    await this.orders.insert({ ...base, status: 'paid', version: 2, document }, [
      { eventId: randomUUID(), topic: ORDERS_TOPIC, key: p.orderUid, payload: document, headers: outboxHeaders() },
      eventMessage(placed), eventMessage(paid),
    ]);
    await this.hooks.afterStep?.('recorded', p.orderUid);
    try {
      await this.upstreams.clearCart(p.customerId, p.cartVersion, requestId);
    } catch (err) {
      this.options.log.warn({ err, orderUid: p.orderUid }, 'the order is placed but the cart could not be cleared');
    }
    return placedAnswer({ orderUid: p.orderUid, totalMinor, currency, trackNumber });
  }

  /**
   * The recovery pass: checkouts left unfinished (a crash, a lost process) for `olderThanSeconds` are completed
   * (charged or committed: the order is recorded, the key answers it) or given back (not charged: the units
   * are released, the key is freed so the client may try again). Answers how many it settled.
   */
  async recover(olderThanSeconds: number): Promise<number> {
    let settled = 0;
    for (const row of await this.orders.claimStale(olderThanSeconds)) {
      const p: Progress = {
        orderUid: row.order_uid, customerId: row.customer_id, key: row.idempotency_key, cartVersion: row.cart_version,
        delivery: row.delivery as OrderDelivery, cardLast4: row.card_last4, lines: (row.lines ?? []) as ReservationLine[],
      };
      const requestId = `recovery-${row.request_id}`.slice(0, 64);
      try {
        let state = row.state;
        let outcome = row.outcome;
        if (state === 'reserving' || state === 'reserved') {
          // Charged just before the crash? The provider knows (charges are kept per order uid).
          const charge = state === 'reserved' ? await this.provider.find(p.orderUid) : undefined;
          if (charge && (await this.orders.advance(p.orderUid, ['reserved'], 'charged', { outcome: charge.outcome }))) {
            state = 'charged';
            outcome = charge.outcome;
          } else {
            await this.giveBack(p.orderUid, requestId);
            if (p.key) await this.orders.releaseKey(p.customerId, p.key);
            this.options.log.warn({ orderUid: p.orderUid, state: row.state }, 'recovery: unfinished checkout released');
            settled++;
            continue;
          }
        }
        const answer = await this.finish(p, state === 'committed' ? 'committed' : 'charged', state === 'committed' ? 'approved' : outcome!, requestId);
        if (p.key) await this.orders.completeKey(p.customerId, p.key, answer.statusCode, answer.body);
        this.options.log.warn({ orderUid: p.orderUid, state: row.state, status: answer.statusCode }, 'recovery: unfinished checkout completed');
        settled++;
      } catch (err) {
        if (err instanceof HttpProblem && p.key) await this.orders.releaseKey(p.customerId, p.key);
        else this.options.log.error({ err, orderUid: p.orderUid }, 'recovery: checkout not settled (next pass)');
      }
    }
    await this.orders.purgeExpiredKeys();
    return settled + (await this.settleKeys(olderThanSeconds));
  }

  /** Idempotency keys a lost request left running: answer the recorded order, or free the key. */
  async settleKeys(olderThanSeconds: number): Promise<number> {
    return this.orders.settleStaleKeys(olderThanSeconds, (order) => order.status === 'payment_failed'
      ? declinedAnswer(order.uid, order.outcome ?? 'declined')
      : placedAnswer({ orderUid: order.uid, totalMinor: Number(order.total_minor), currency: order.currency, trackNumber: order.track_number }));
  }

  private totals(lines: ReservationLine[]) {
    const goodsMinor = lines.reduce((sum, l) => sum + toMinor(l.price) * l.quantity, 0);
    return { goodsMinor, totalMinor: goodsMinor + this.options.deliveryCostMinor, currency: lines[0]?.currency ?? 'RUB' };
  }

  /** Releases the units (none held: fine) and marks the checkout released. */
  private async giveBack(orderUid: string, requestId: string): Promise<void> {
    const { status } = await this.upstreams.reservationAction(orderUid, 'release', requestId);
    if (status !== 200 && status !== 404) throw new UpstreamError('item-crud', status, `releasing ${orderUid} answered ${status}`);
    await this.orders.advance(orderUid, ['reserving', 'reserved', 'charged'], 'released');
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

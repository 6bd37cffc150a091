// The order lifecycle after checkout: placed → paid → shipped → delivered, payment_failed, cancelled (by the
// customer before shipping, or an admin before delivery; a paid order's cancellation refunds through the provider
// and returns the stock through item-crud's restock). Each change is one transaction with its outbox row.
import type { Identity } from '@shop/contracts';
import { HttpProblem, notFound, problemType } from '@shop/kit';
import type { OrderRepository, OrderRow } from '../repositories/orders.ts';
import { UpstreamError, type Upstreams } from '../repositories/upstreams.ts';
import { eventMessage, orderEvent } from './checkout.ts';
import { fromMinor } from './money.ts';
import type { PaymentProvider } from './payments.ts';

export type Action = 'cancel' | 'ship' | 'deliver';
const TARGET = { cancel: 'cancelled', ship: 'shipped', deliver: 'delivered' } as const;
const EVENT = { cancel: 'order.cancelled', ship: 'order.shipped', deliver: 'order.delivered' } as const;

/** Which statuses each action leaves from, by who asks. */
function allowedFrom(action: Action, admin: boolean): string[] {
  if (action === 'ship') return ['paid'];
  if (action === 'deliver') return ['shipped'];
  return admin ? ['paid', 'shipped'] : ['paid'];
}

export interface OrderView { orderUid: string; customerId: string; status: string; version: number; total: string; currency: string; trackNumber: string; lines: OrderRow['lines'] }

export const view = (o: OrderRow): OrderView => ({
  orderUid: o.uid, customerId: o.customer_id, status: o.status, version: o.version,
  total: fromMinor(Number(o.total_minor)),
  currency: o.currency.trim(), trackNumber: o.track_number, lines: o.lines,
});

/** Test seams: called after a cancellation's intent is committed and after the money and units went back. */
export interface LifecycleHooks {
  afterCancelStep?: (step: 'requested' | 'given-back', orderUid: string) => Promise<void> | void;
}

const illegal = (order: OrderRow, action: Action, admin: boolean) => new HttpProblem(409,
  `An order that is ${order.status} cannot be ${TARGET[action]}${action === 'cancel' && !admin && order.status === 'shipped' ? ' by the customer (it has shipped)' : ''}`,
  { type: problemType('illegal-transition'), extensions: { currentStatus: order.status } });

export class LifecycleService {
  private readonly orders: OrderRepository;
  private readonly upstreams: Upstreams;
  private readonly provider: PaymentProvider;
  private readonly hooks: LifecycleHooks;
  constructor(orders: OrderRepository, upstreams: Upstreams, provider: PaymentProvider, hooks: LifecycleHooks = {}) {
    this.orders = orders;
    this.upstreams = upstreams;
    this.provider = provider;
    this.hooks = hooks;
  }

  async act(uid: string, action: Action, who: Identity, requestId: string): Promise<OrderView> {
    const admin = who.role === 'admin';
    const check = (order: OrderRow) => {
      // Another person's order does not exist for them (no hint that the uid is taken).
      if (!admin && order.customer_id !== who.id) throw notFound(`No order ${uid}`);
      if (!allowedFrom(action, admin).includes(order.status)) throw illegal(order, action, admin);
      if (action !== 'cancel' && order.cancel_requested_at) {
        throw new HttpProblem(409, `The order is being cancelled: it cannot be ${TARGET[action]}`, { type: problemType('illegal-transition'), extensions: { currentStatus: order.status } });
      }
    };
    if (action === 'cancel') {
      // The intent is committed first: the refund and the restock happen elsewhere, so a crash after them is
      // finished by the recovery pass (finishCancellations), and shipping waits for the outcome.
      if (!(await this.orders.requestCancel(uid, check))) throw notFound(`No order ${uid}`);
      await this.hooks.afterCancelStep?.('requested', uid);
      await this.giveBack(uid, requestId);
      await this.hooks.afterCancelStep?.('given-back', uid);
    }
    const changed = await this.changeStatus(uid, action, (order) => {
      check(order);
      return TARGET[action];
    });
    if (!changed) throw notFound(`No order ${uid}`);
    return view(changed);
  }

  /**
   * The recovery pass's share: cancellations requested more than `olderThanSeconds` ago and not finished (a crash
   * between the intent and the status) are finished — the refund and the restock are idempotent. Answers how many.
   */
  async finishCancellations(olderThanSeconds: number, requestId: string): Promise<number> {
    let finished = 0;
    for (const uid of await this.orders.staleCancellations(olderThanSeconds)) {
      await this.giveBack(uid, requestId);
      const changed = await this.changeStatus(uid, 'cancel', (order) => {
        if (!allowedFrom('cancel', true).includes(order.status)) throw illegal(order, 'cancel', true);
        return TARGET.cancel;
      });
      if (changed) finished++;
    }
    return finished;
  }

  private changeStatus(uid: string, action: Action, check: (order: OrderRow) => string) {
    return this.orders.transition(uid, check, (order, status, version) => eventMessage(orderEvent(EVENT[action], version, {
      orderUid: order.uid, customerId: order.customer_id, status, totalMinor: Number(order.total_minor), currency: order.currency.trim(), lines: order.lines,
    })));
  }

  /** A paid order's money and units go back (both idempotent: a retried cancellation repeats them harmlessly). */
  private async giveBack(uid: string, requestId: string): Promise<void> {
    await this.provider.refund(uid);
    const { status } = await this.upstreams.reservationAction(uid, 'restock', requestId);
    if (status !== 200) throw new UpstreamError('item-crud', status, `restocking ${uid} answered ${status}`);
  }
}

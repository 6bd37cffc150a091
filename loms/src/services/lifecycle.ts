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

export class LifecycleService {
  private readonly orders: OrderRepository;
  private readonly upstreams: Upstreams;
  private readonly provider: PaymentProvider;
  constructor(orders: OrderRepository, upstreams: Upstreams, provider: PaymentProvider) {
    this.orders = orders;
    this.upstreams = upstreams;
    this.provider = provider;
  }

  async act(uid: string, action: Action, who: Identity, requestId: string): Promise<OrderView> {
    const admin = who.role === 'admin';
    const changed = await this.orders.transition(uid, async (order) => {
      // Another person's order does not exist for them (no hint that the uid is taken).
      if (!admin && order.customer_id !== who.id) throw notFound(`No order ${uid}`);
      const from = allowedFrom(action, admin);
      if (!from.includes(order.status)) {
        throw new HttpProblem(409, `An order that is ${order.status} cannot be ${TARGET[action]}${action === 'cancel' && !admin && order.status === 'shipped' ? ' by the customer (it has shipped)' : ''}`, {
          type: problemType('illegal-transition'), extensions: { currentStatus: order.status },
        });
      }
      if (action === 'cancel') await this.giveBack(uid, requestId);
      return TARGET[action];
    }, (order, status, version) => eventMessage(orderEvent(EVENT[action], version, {
      orderUid: order.uid, customerId: order.customer_id, status, totalMinor: Number(order.total_minor), currency: order.currency.trim(), lines: order.lines,
    })));
    if (!changed) throw notFound(`No order ${uid}`);
    return view(changed);
  }

  /** A paid order's money and units go back (both idempotent: a retried cancellation repeats them harmlessly). */
  private async giveBack(uid: string, requestId: string): Promise<void> {
    await this.provider.refund(uid);
    const { status } = await this.upstreams.reservationAction(uid, 'restock', requestId);
    if (status !== 200) throw new UpstreamError('item-crud', status, `restocking ${uid} answered ${status}`);
  }
}

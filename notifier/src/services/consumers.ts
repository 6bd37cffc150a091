// The two consumer groups of the notifier (the kit's ConsumerRunner: commit after the effect, retry with backoff):
// - `order-events` (contract validation; refusals to `order-events.dlq` with the reason): one notification per event;
// - `orders` (the order documents): the contact of each order (delivery e-mail, locale), kept by order uid so
//   the e-mail of an order's events can be sent; the event contract carries no personal data. Only the fields the
//   notifier needs are checked; a document without them is skipped and counted here (the orders service owns
//   `orders.dlq`, so the notifier does not dead-letter into it).
import { Type, type Static } from '@shop/kit';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ORDER_EVENTS_DLQ_TOPIC, ORDER_EVENTS_TOPIC, decodeOrderEvent, type OrderEvent } from '@shop/contracts';
import { decodeJson, type Validation } from '@shop/contracts/codec';
import { ConsumerRunner, type ConsumerLog, type ConsumerMetrics } from '@shop/kit';
import type { Kafka } from 'kafkajs';
import type { NotificationRepository, OrderContact } from '../repositories/notifications.ts';

export const ORDERS_TOPIC = 'orders';

/** The part of an order document (DESIGN.md, the `orders` topic) the notifier reads; other fields are not its concern. */
const OrderContactFields = Type.Object({
  order_uid: Type.String({ minLength: 1, maxLength: 64 }),
  customer_id: Type.String({ minLength: 1, maxLength: 100 }),
  locale: Type.String({ maxLength: 35 }),
  delivery: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@\\u0000]+@[^\\s@\\u0000]+$' }) }),
});
const contactCheck = TypeCompiler.Compile(OrderContactFields);

export function validateOrderContact(value: unknown): Validation<OrderContact> {
  if (!contactCheck.Check(value)) return { ok: false, errors: [...contactCheck.Errors(value)].slice(0, 5).map((e) => `${e.path || '/'}: ${e.message}`) };
  const doc: Static<typeof OrderContactFields> = value;
  return { ok: true, value: { orderUid: doc.order_uid, customerId: doc.customer_id, email: doc.delivery.email, locale: doc.locale } };
}

export interface ConsumerDeps {
  kafka: Kafka;
  repo: NotificationRepository;
  log: ConsumerLog;
  groups: { orderEvents: string; orders: string };
  /** One set of series for both groups (every series carries its group). */
  metrics: ConsumerMetrics;
  /** A notification or a contact was stored: a mail may be due. */
  onStored: () => void;
  onNotification: (event: OrderEvent) => void;
}

export function orderEventsConsumer(deps: ConsumerDeps): ConsumerRunner<OrderEvent> {
  return new ConsumerRunner<OrderEvent>({
    name: 'order-events consumer', kafka: deps.kafka, groupId: deps.groups.orderEvents,
    topics: [ORDER_EVENTS_TOPIC], dlqTopic: ORDER_EVENTS_DLQ_TOPIC, decode: decodeOrderEvent,
    handleMessage: async ({ value }) => {
      if (await deps.repo.add(value)) {
        deps.onNotification(value);
        deps.onStored();
      }
    },
    metrics: deps.metrics, log: deps.log,
  });
}

export function ordersConsumer(deps: ConsumerDeps): ConsumerRunner<OrderContact> {
  return new ConsumerRunner<OrderContact>({
    name: 'orders consumer', kafka: deps.kafka, groupId: deps.groups.orders,
    topics: [ORDERS_TOPIC], decode: (bytes) => decodeJson(bytes, validateOrderContact),
    handleMessage: async ({ value }) => {
      await deps.repo.saveContact(value);
      deps.onStored();
    },
    metrics: deps.metrics, log: deps.log,
  });
}

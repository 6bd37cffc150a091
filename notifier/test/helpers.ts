// Shared set-up of the notifier tests: the app built in-process against the real PostgreSQL (database
// notifier), Kafka and the running sso, with consumer groups of its own; a real SMTP server (npm
// smtp-server) in the test process that keeps what it receives; order events and order documents
// produced to Kafka by the test (loms does not exist yet).
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ORDER_EVENTS_TOPIC, ORDER_STATUS_BY_EVENT, encodeOrderEvent, type OrderEvent, type OrderEventType } from '@shop/contracts';
import pg from 'pg';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { closeProducer, kafka, producerOnce, quietLog, readTopic, sleep, waitFor } from '../../kit/test/helpers.ts';
import { signUp, testDatabase } from '../../test/support.ts';
import { buildService } from '../src/app.ts';
import { ORDERS_TOPIC } from '../src/services/consumers.ts';

export { closeProducer, kafka, producerOnce, quietLog, readTopic, sleep, waitFor };

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
/**
 * The tests' own database `notifier_test` (migrated here): the running stack's notifier mails every due row of its
 * database to Mailpit, so the in-process notifiers, which mail to the test's SMTP server, must not share it.
 */
export const DATABASE_URL = await testDatabase(process.env.DATABASE_URL_NOTIFIER ?? 'postgresql://shop:shop@127.0.0.1:5432/notifier', 'notifier_test', 'notifier.config.ts', 'DATABASE_URL_NOTIFIER');
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';

export type NotifierApp = Awaited<ReturnType<typeof buildService>>;

/**
 * Puts consumer groups that have no offsets yet at the end of the topic: a test's notifier reads only what the test
 * sends after it started, not the whole history of the shared topic (which would all be mailed).
 */
async function startAtEnd(groupTopics: [string | undefined, string][]): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    for (const [groupId, topic] of groupTopics) {
      if (!groupId) continue;
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      if (committed!.partitions.some((p) => Number(p.offset) >= 0)) continue;
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
    }
  } finally {
    await admin.disconnect();
  }
}

/** A notifier in this process; `groups` names its consumer groups (new ones start at the end of the topics). */
export async function startNotifier(extra: Record<string, string> = {}): Promise<NotifierApp> {
  await startAtEnd([[extra.ORDER_EVENTS_GROUP, ORDER_EVENTS_TOPIC], [extra.ORDERS_GROUP, ORDERS_TOPIC]]);
  const service = await buildService({
    HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL, KAFKA_BROKERS, SSO_URL,
    MAIL_POLL_MS: '50', MAIL_RETRY_MIN_MS: '100', MAIL_RETRY_MAX_MS: '400', SMTP_TIMEOUT_MS: '2000', ...extra,
  });
  await service.app.ready();
  await waitFor('the consumers in their groups', async () => {
    for (const consumer of service.consumers) await consumer.check();
    return true;
  }, 30_000, 100);
  return service;
}

export const newGroups = () => {
  const id = randomBytes(4).toString('hex');
  return { ORDER_EVENTS_GROUP: `notifier-test-${id}`, ORDERS_GROUP: `notifier-test-orders-${id}` };
};

export interface Received { to: string[]; from: string | undefined; messageId: string | undefined; subject: string | undefined; text: string | undefined }

/** A real SMTP server on loopback (no TLS, no auth) keeping every message it accepts. */
export class SmtpCatcher {
  readonly received: Received[] = [];
  #server: SMTPServer | undefined;
  port = 0;

  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          simpleParser(Buffer.concat(chunks)).then((mail) => {
            this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), from: mail.from?.text, messageId: mail.messageId, subject: mail.subject, text: mail.text?.trim() });
            callback();
          }, (err: Error) => callback(err));
        });
      },
    });
    server.listen(port, '127.0.0.1');
    await once(server.server, 'listening');
    this.port = (server.server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  get url() {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Messages sent to this address. */
  to(address: string): Received[] {
    return this.received.filter((m) => m.to.includes(address));
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export const db = () => new pg.Pool({ connectionString: DATABASE_URL, max: 2 });


/** A unique order uid (the Kafka key of its documents and events). */
export const newOrderUid = () => `ntest${randomBytes(6).toString('hex')}`;
export const newEmail = (label = 'buyer') => `notifier-${label}-${randomBytes(4).toString('hex')}@test.example`;

export function orderEvent(type: OrderEventType, order: { orderUid: string; customerId: string }, overrides: Partial<OrderEvent> = {}): OrderEvent {
  return {
    id: randomUUID(), type, version: 1, occurredAt: new Date().toISOString(), source: 'notifier-test',
    data: {
      orderUid: order.orderUid, customerId: order.customerId, status: ORDER_STATUS_BY_EVENT[type], total: '1999.90', currency: 'RUB',
      lines: [{ itemId: randomUUID(), sellerId: randomUUID(), quantity: 1, price: '1999.90' }],
    },
    ...overrides,
  };
}

/** Produces raw bytes to order-events under the order's key: its partition and offset. */
export async function sendRaw(key: string, value: Buffer | null, topic = ORDER_EVENTS_TOPIC): Promise<{ partition: number; offset: string }> {
  const [res] = await (await producerOnce()).send({ topic, acks: -1, messages: [{ key, value, headers: { 'content-type': 'application/json' } }] });
  return { partition: res!.partition, offset: res!.baseOffset! };
}

export const sendEvent = (event: OrderEvent) => sendRaw(event.data.orderUid, encodeOrderEvent(event));

/** The order document on the `orders` topic (DESIGN.md's model; the notifier reads uid, customer, locale, e-mail). */
export function sendOrderDocument(order: { orderUid: string; customerId: string; email: string; locale: string }) {
  const doc = {
    order_uid: order.orderUid, track_number: 'WBILMTESTTRACK', entry: 'WBIL', locale: order.locale, internal_signature: '',
    customer_id: order.customerId, delivery_service: 'meest', shardkey: '9', sm_id: 99, date_created: new Date().toISOString(), oof_shard: '1',
    delivery: { name: 'Test Testov', phone: '+9720000000', zip: '2639809', city: 'Kiryat Mozkin', address: 'Ploshad Mira 15', region: 'Kraiot', email: order.email },
    payment: { transaction: order.orderUid, request_id: '', currency: 'RUB', provider: 'sandbox', amount: 199990, payment_dt: 1637907727, bank: 'alpha', delivery_cost: 0, goods_total: 199990, custom_fee: 0 },
    items: [{ chrt_id: 9934930, track_number: 'WBILMTESTTRACK', price: 199990, rid: randomBytes(8).toString('hex'), name: 'Kettle', sale: 0, size: '0', total_price: 199990, nm_id: 9934930, brand: 'Bork', status: 202 }],
  };
  return sendRaw(order.orderUid, Buffer.from(JSON.stringify(doc)), ORDERS_TOPIC);
}

/** A new customer at the running sso, signed in. */
export async function newUser(label = 'customer'): Promise<{ id: string; token: string; auth: { authorization: string } }> {
  const { id, token } = await signUp(SSO_URL, { email: newEmail(label), password: 'notifier test password', name: `Notifier ${label}`, role: 'customer' });
  return { id, token, auth: { authorization: `Bearer ${token}` } };
}

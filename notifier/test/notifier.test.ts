// The notifier's consumers and mailer against the real Kafka and PostgreSQL and a real SMTP server in this
// process: one notification and one e-mail per order event, none more on redelivery (the same event twice,
// a consumer group re-reading from an earlier offset after a restart); an order's events wait for its order
// document's e-mail; SMTP down then up: the mail is sent exactly once, later; bad events go to the dead-letter
// topic with their reason and the partition moves on.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ORDER_EVENTS_DLQ_TOPIC, ORDER_EVENTS_TOPIC } from '@shop/contracts';
import type { Admin } from 'kafkajs';
import nodemailer from 'nodemailer';
import type pg from 'pg';
import { NotificationRepository } from '../src/repositories/notifications.ts';
import { Mailer } from '../src/services/mailer.ts';
import {
  SmtpCatcher, closeProducer, db, kafka, newEmail, newGroups, newOrderUid, orderEvent, quietLog, readTopic, sendEvent, sendOrderDocument, sendRaw,
  startNotifier, waitFor, type NotifierApp,
} from './helpers.ts';

const smtp = new SmtpCatcher();
const groups: string[] = [];
const apps: NotifierApp[] = [];
let admin: Admin;
let pool: pg.Pool;

const start = async (extra: Record<string, string> = {}, g = newGroups()) => {
  groups.push(g.ORDER_EVENTS_GROUP, g.ORDERS_GROUP);
  const service = await startNotifier({ SMTP_URL: smtp.url, ...g, ...extra });
  apps.push(service);
  return service;
};
const stop = async (service: NotifierApp) => {
  await service.app.close();
  apps.splice(apps.indexOf(service), 1);
};

before(async () => {
  await smtp.start(0);
  admin = kafka().admin();
  await admin.connect();
  pool = db();
});
after(async () => {
  for (const service of [...apps]) await service.app.close();
  await smtp.stop();
  await closeProducer();
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
  await pool.end();
});

interface Row { id: string; event_id: string; kind: string; email_sent_at: Date | null; email_attempts: number; email_last_error: string | null }
const rows = async (orderUid: string) =>
  (await pool.query<Row>('SELECT id, event_id, kind, email_sent_at, email_attempts, email_last_error FROM notifications WHERE order_uid = $1 ORDER BY created_at, id', [orderUid])).rows;
const mailsFor = (email: string, count: number) => waitFor(`${count} e-mail(s) to ${email}`, () => (smtp.to(email).length >= count ? smtp.to(email) : undefined), 20_000);
const mailOf = (email: string, notificationId: string) => smtp.to(email).filter((m) => m.messageId === `<${notificationId}@notifier.shop>`);

describe('notifier: order events to notifications and e-mails', () => {
  let app: NotifierApp;
  before(async () => {
    app = await start();
  });
  after(async () => stop(app)); // its mailer shares the database with the next suite's notifiers

  it('stores one notification per event and mails it in the order\'s language; the same event twice changes nothing', async () => {
    const order = { orderUid: newOrderUid(), customerId: randomUUID(), email: newEmail(), locale: 'ru' };
    await sendOrderDocument(order);
    const placed = orderEvent('order.placed', order);
    await sendEvent(placed);
    await sendEvent(placed); // redelivered by the producer
    const paid = orderEvent('order.paid', order, { version: 2, occurredAt: new Date(Date.now() + 1000).toISOString() });
    await sendEvent(paid);

    await mailsFor(order.email, 2);
    const stored = await rows(order.orderUid);
    assert.deepEqual(stored.map((r) => [r.event_id, r.kind]), [[placed.id, 'order.placed'], [paid.id, 'order.paid']]);
    const first = mailOf(order.email, stored[0]!.id);
    assert.equal(first.length, 1);
    assert.equal(first[0]!.subject, `Заказ ${order.orderUid} оформлен`);
    assert.match(first[0]!.text ?? '', /1\s999,90\s₽/);
    assert.match(first[0]!.from ?? '', /no-reply@shop\.example/);
    assert.equal(mailOf(order.email, stored[1]!.id)[0]?.subject, `Заказ ${order.orderUid} оплачен`);

    // a later event of the same order (same key, same partition) is handled after the duplicate: by then
    // a second mail of the first event would have been sent
    const shipped = orderEvent('order.shipped', order, { version: 3 });
    await sendEvent(shipped);
    await mailsFor(order.email, 3);
    assert.equal(smtp.to(order.email).length, 3);
    assert.equal((await rows(order.orderUid)).length, 3);
    assert.ok((await rows(order.orderUid)).every((r) => r.email_sent_at && r.email_attempts === 1));
  });

  it('keeps an event until its order document brings the e-mail; English when the locale is not Russian', async () => {
    const order = { orderUid: newOrderUid(), customerId: randomUUID(), email: newEmail(), locale: 'de' };
    const placed = orderEvent('order.placed', order);
    await sendEvent(placed);
    const [row] = await waitFor('the notification', async () => {
      const r = await rows(order.orderUid);
      return r.length === 1 ? r : undefined;
    });
    assert.equal(row!.email_sent_at, null);
    assert.equal(row!.email_attempts, 0, 'no address yet: no attempt');

    await sendOrderDocument(order);
    const [mail] = await mailsFor(order.email, 1);
    assert.equal(mail!.subject, `Order ${order.orderUid} placed`);
    assert.match(mail!.text ?? '', /RUB\s1,999\.90|₽1,999\.90/);
  });

  it('mails nobody when the order document names another customer than the event', async () => {
    const order = { orderUid: newOrderUid(), customerId: randomUUID(), email: newEmail(), locale: 'en' };
    await sendOrderDocument({ ...order, customerId: randomUUID() });
    await sendEvent(orderEvent('order.placed', order));
    await waitFor('the notification and the contact', async () => (await rows(order.orderUid)).length === 1
      && (await pool.query('SELECT 1 FROM order_contacts WHERE order_uid = $1', [order.orderUid])).rowCount === 1);
    await app.mailer!.runOnce(); // a round after both are stored
    const [row] = await rows(order.orderUid);
    assert.equal(row!.email_sent_at, null);
    assert.equal(row!.email_attempts, 0);
    assert.equal(smtp.to(order.email).length, 0);
  });

  it('dead-letters bad events with their reason and moves on to the next event of the partition', async () => {
    const order = { orderUid: newOrderUid(), customerId: randomUUID() };
    const notJson = await sendRaw(order.orderUid, Buffer.from('{"id": nope'));
    const wrongStatus = orderEvent('order.paid', order);
    const wrongBytes = Buffer.from(JSON.stringify({ ...wrongStatus, data: { ...wrongStatus.data, status: 'placed' } }));
    const schema = await sendRaw(order.orderUid, wrongBytes);
    const good = orderEvent('order.cancelled', order);
    await sendEvent(good);

    await waitFor('the event after the bad ones', async () => (await rows(order.orderUid)).length === 1);
    assert.deepEqual((await rows(order.orderUid)).map((r) => r.event_id), [good.id]);
    const read = await readTopic(admin, ORDER_EVENTS_DLQ_TOPIC, (all) => new Set(all.filter((r) => r.message.key?.toString() === order.orderUid).map((r) => r.header('x-original-offset'))).size >= 2);
    const ours = read.filter((r) => r.message.key?.toString() === order.orderUid);
    const byOffset = (offset: string) => ours.find((r) => r.header('x-original-offset') === offset && r.header('x-original-partition') === String(notJson.partition));
    assert.match(byOffset(notJson.offset)?.header('x-dlq-reason') ?? '', /^invalid-json: /);
    assert.equal(byOffset(notJson.offset)?.message.value?.toString(), '{"id": nope');
    assert.match(byOffset(schema.offset)?.header('x-dlq-reason') ?? '', /^schema: .*status/);
    assert.deepEqual(byOffset(schema.offset)?.message.value, wrongBytes);
    assert.equal(byOffset(schema.offset)?.header('x-original-topic'), ORDER_EVENTS_TOPIC);
  });
});

describe('notifier: restarts and SMTP failures', () => {
  it('a consumer restarted from an earlier offset re-reads events without a second notification or e-mail', async () => {
    const g = newGroups();
    const first = await start({}, g);
    const order = { orderUid: newOrderUid(), customerId: randomUUID(), email: newEmail(), locale: 'en' };
    await sendOrderDocument(order);
    const placed = await sendEvent(orderEvent('order.placed', order));
    await sendEvent(orderEvent('order.paid', order, { version: 2 }));
    await mailsFor(order.email, 2);
    await stop(first);

    // the group goes back to the first event, as after a crash before its commit
    await admin.setOffsets({ groupId: g.ORDER_EVENTS_GROUP, topic: ORDER_EVENTS_TOPIC, partitions: [{ partition: placed.partition, offset: placed.offset }] });
    const second = await start({}, g);
    await sendEvent(orderEvent('order.shipped', order, { version: 3 }));
    await mailsFor(order.email, 3);
    const [offsets] = await admin.fetchOffsets({ groupId: g.ORDER_EVENTS_GROUP, topics: [ORDER_EVENTS_TOPIC] });
    assert.ok(Number(offsets!.partitions.find((p) => p.partition === placed.partition)!.offset) >= Number(placed.offset) + 3, 'the restarted consumer read the three events again');
    assert.equal((await rows(order.orderUid)).length, 3);
    assert.equal(smtp.to(order.email).length, 3);
    await stop(second);
  });

  it('SMTP down: the mail is retried with backoff and sent exactly once when SMTP is back', async () => {
    const flaky = await new SmtpCatcher().start(0);
    await flaky.stop(); // nothing listens on its port now
    const service = await start({ SMTP_URL: flaky.url });
    try {
      const order = { orderUid: newOrderUid(), customerId: randomUUID(), email: newEmail(), locale: 'en' };
      await sendOrderDocument(order);
      await sendEvent(orderEvent('order.placed', order));
      const [failing] = await waitFor('failed attempts', async () => {
        const r = await rows(order.orderUid);
        return r[0] && r[0].email_attempts >= 2 ? r : undefined;
      });
      assert.equal(failing!.email_sent_at, null);
      assert.match(failing!.email_last_error ?? '', /ECONNREFUSED|connect/i);

      await flaky.start();
      await waitFor('the mail after SMTP came back', () => flaky.to(order.email).length === 1);
      await sendEvent(orderEvent('order.paid', order, { version: 2 }));
      await waitFor('the next mail', () => flaky.to(order.email).length >= 2);
      assert.equal(flaky.to(order.email).filter((m) => m.messageId === `<${failing!.id}@notifier.shop>`).length, 1);
      const [sent] = await rows(order.orderUid);
      assert.ok(sent!.email_sent_at);
      assert.equal(sent!.email_last_error, null);
    } finally {
      await stop(service);
      await flaky.stop();
    }
  });

  it('an SMTP server that accepts connections but never answers costs one time limit per round, not one per mail', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const g = newGroups();
    groups.push(g.ORDER_EVENTS_GROUP, g.ORDERS_GROUP);
    const inAppOnly = await startNotifier(g); // stores, mails nothing (no SMTP_URL)
    const mailer = new Mailer(new NotificationRepository(pool), nodemailer.createTransport({
      url: `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`, connectionTimeout: 300, greetingTimeout: 300, socketTimeout: 300,
    }), { from: 'test@shop.example', batchSize: 20, pollMs: 60_000, retryMinMs: 60_000, retryMaxMs: 60_000, maxAgeHours: 72, log: quietLog });
    try {
      const order = { orderUid: newOrderUid(), customerId: randomUUID(), email: newEmail(), locale: 'en' };
      await sendOrderDocument(order);
      await sendEvent(orderEvent('order.placed', order));
      await sendEvent(orderEvent('order.paid', order, { version: 2 }));
      await waitFor('two due mails', async () => (await rows(order.orderUid)).length === 2
        && (await pool.query('SELECT 1 FROM order_contacts WHERE order_uid = $1', [order.orderUid])).rowCount === 1);
      assert.deepEqual(await mailer.runOnce(), { sent: 0, failed: 1 }, 'the first send timed out; the others wait for the next round');
    } finally {
      await mailer.stop();
      await inAppOnly.app.close();
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });
});

import { JWKS_PATH, ORDER_EVENTS_DLQ_TOPIC, ORDER_EVENTS_TOPIC } from '@shop/contracts';
import { authPlugin, consumerMetrics, createService, registerClients } from '@shop/kit';
import nodemailer from 'nodemailer';
import { config } from './config.ts';
import { NotificationRepository } from './repositories/notifications.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { ORDERS_TOPIC, orderEventsConsumer, ordersConsumer } from './services/consumers.ts';
import { Mailer } from './services/mailer.ts';
import { NotificationService } from './services/notifications.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'notifier', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'notifier', cfg, [ORDER_EVENTS_TOPIC, ORDER_EVENTS_DLQ_TOPIC, ORDERS_TOPIC]);
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });

  const repo = new NotificationRepository(app.pg);
  const stored = app.metrics.counter({ name: 'notifier_notifications_total', help: 'Notifications stored, by kind (a redelivered event adds none)', labelNames: ['kind'] as const });
  const mails = app.metrics.counter({ name: 'notifier_emails_total', help: 'E-mails by outcome (sent, failed: retried later)', labelNames: ['outcome'] as const });
  for (const outcome of ['sent', 'failed']) mails.inc({ outcome }, 0);

  const mailer = cfg.SMTP_URL
    ? new Mailer(repo, nodemailer.createTransport({
      url: cfg.SMTP_URL, connectionTimeout: cfg.SMTP_TIMEOUT_MS, greetingTimeout: cfg.SMTP_TIMEOUT_MS, socketTimeout: cfg.SMTP_TIMEOUT_MS,
    }), {
      from: cfg.MAIL_FROM, batchSize: cfg.MAIL_BATCH_SIZE, pollMs: cfg.MAIL_POLL_MS, retryMinMs: cfg.MAIL_RETRY_MIN_MS,
      retryMaxMs: cfg.MAIL_RETRY_MAX_MS, maxAgeHours: cfg.MAIL_MAX_AGE_HOURS, log: app.log.child({ component: 'mailer' }),
      onOutcome: (outcome, count) => mails.inc({ outcome }, count),
    })
    : undefined;

  const deps = {
    kafka: app.kafka, repo, log: app.log.child({ component: 'consumer' }),
    groups: { orderEvents: cfg.ORDER_EVENTS_GROUP, orders: cfg.ORDERS_GROUP },
    metrics: consumerMetrics(app.metrics, 'notifier'),
    onStored: () => mailer?.wake(),
    onNotification: (event: { type: string }) => stored.inc({ kind: event.type }),
  };
  const consumers = [orderEventsConsumer(deps), ordersConsumer(deps)];
  consumers.forEach((consumer, i) => app.health.add(i === 0 ? 'order-events consumer' : 'orders consumer', async () => consumer.check()));
  app.addHook('onReady', async () => {
    for (const consumer of consumers) void consumer.startInBackground();
    mailer?.start();
  });
  app.addHook('onClose', async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await mailer?.stop();
  });

  const notifications = new NotificationService(repo);
  await app.register(notificationRoutes, { notifications });
  return { ...service, repo, mailer, consumers, notifications };
}

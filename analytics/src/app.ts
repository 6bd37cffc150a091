import {
  ITEM_EVENTS_TOPIC, JWKS_PATH, ORDER_EVENTS_TOPIC, REVIEW_SUMMARIES_DLQ_TOPIC, REVIEW_SUMMARIES_TOPIC, USER_ACTIVITY_DLQ_TOPIC, USER_ACTIVITY_TOPIC, USER_EVENTS_TOPIC,
} from '@shop/contracts';
import { OutboxWriter, authPlugin, consumerMetrics, createService, outboxRelayPlugin, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { ActivityRepository } from './repositories/activity.ts';
import { ReportRepository } from './repositories/reports.ts';
import { ReviewSummaryRepository } from './repositories/review-summaries.ts';
import { activityRoutes } from './routes/activity.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { REJECT_REASONS } from './services/collector.ts';
import { CollectorService } from './services/collector-service.ts';
import { REVIEW_SUMMARY_OUTCOMES, activityConsumer, reviewSummaryConsumer, sourceConsumers } from './services/consumers.ts';
import { POPULAR_WINDOW_DAYS, ReportService } from './services/reports.ts';

export const ANALYTICS_OUTBOX = { table: 'outbox', lockKey: 'analytics:outbox-relay' } as const;

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  // The client's IP address is never stored, not even in the access log: analytics does not believe the proxy's
  // X-Forwarded-For (TRUST_PROXY is ignored), so request.ip, which the kit logs, is the proxy's own address.
  const service = await createService({ name: 'analytics', config, env: { ...env, TRUST_PROXY: undefined } });
  const { app, config: cfg } = service;
  await registerClients(app, 'analytics', cfg, [
    USER_ACTIVITY_TOPIC, USER_ACTIVITY_DLQ_TOPIC, ORDER_EVENTS_TOPIC, USER_EVENTS_TOPIC, ITEM_EVENTS_TOPIC, REVIEW_SUMMARIES_TOPIC, REVIEW_SUMMARIES_DLQ_TOPIC,
  ]);
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });
  await app.register(outboxRelayPlugin, {
    ...ANALYTICS_OUTBOX, enabled: cfg.RELAY_ENABLED, batchSize: cfg.RELAY_BATCH_SIZE, pollMs: cfg.RELAY_POLL_MS, connectionString: cfg.DATABASE_URL,
  });

  const repo = new ActivityRepository(app.pg, new OutboxWriter({ table: ANALYTICS_OUTBOX.table }), { conversionWindowHours: cfg.CONVERSION_WINDOW_HOURS });
  const collected = app.metrics.counter({ name: 'analytics_collected_events_total', help: 'Client events at POST /api/activity, by outcome and rejection reason', labelNames: ['outcome', 'reason'] as const });
  collected.inc({ outcome: 'accepted', reason: '' }, 0);
  for (const reason of REJECT_REASONS) collected.inc({ outcome: 'rejected', reason }, 0);
  const counted = app.metrics.counter({ name: 'analytics_counted_events_total', help: 'Activity events counted into the aggregates (first delivery only), by type', labelNames: ['type'] as const });
  const delay = app.metrics.histogram({
    name: 'analytics_aggregate_delay_seconds', help: 'From an event\'s occurredAt to its being counted',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
  });

  const collector = new CollectorService(repo, {
    maxAgeMs: cfg.ACTIVITY_MAX_AGE_HOURS * 3_600_000, maxFutureMs: cfg.ACTIVITY_MAX_FUTURE_MS,
    onOutcome: (accepted, rejected) => {
      if (accepted) collected.inc({ outcome: 'accepted', reason: '' }, accepted);
      for (const reason of rejected) collected.inc({ outcome: 'rejected', reason });
    },
  });

  const deps = {
    kafka: app.kafka, repo, log: app.log.child({ component: 'consumer' }), batchSize: cfg.AGGREGATE_BATCH_SIZE,
    groups: {
      activity: cfg.ACTIVITY_GROUP, orderEvents: cfg.ORDER_EVENTS_GROUP, userEvents: cfg.USER_EVENTS_GROUP, itemEvents: cfg.ITEM_EVENTS_GROUP,
      reviewSummaries: cfg.REVIEW_SUMMARIES_GROUP,
    },
    metrics: consumerMetrics(app.metrics, 'analytics'),
    onCounted: (events: { type: string; occurredAt: string }[]) => {
      const now = Date.now();
      for (const e of events) {
        counted.inc({ type: e.type });
        delay.observe(Math.max(0, now - Date.parse(e.occurredAt)) / 1000);
      }
    },
  };
  const reviews = new ReviewSummaryRepository(app.pg);
  const summaries = app.metrics.counter({
    name: 'analytics_review_summaries_total', labelNames: ['outcome'] as const,
    help: 'review-summaries messages: applied (a newer revision stored), stale (a revision at or below the stored one, or superseded in its batch: no change), refused (dead-lettered)',
  });
  for (const outcome of REVIEW_SUMMARY_OUTCOMES) summaries.inc({ outcome }, 0);
  const reviewConsumer = reviewSummaryConsumer({ ...deps, reviews, batchSize: cfg.REVIEW_SUMMARIES_BATCH_SIZE, onOutcome: (outcome, n) => summaries.inc({ outcome }, n) });
  const consumers = [activityConsumer(deps), ...sourceConsumers(deps), reviewConsumer];
  const names = ['user-activity consumer', 'order-events consumer', 'user-events consumer', 'item-events consumer', 'review-summaries consumer'];
  consumers.forEach((consumer, i) => app.health.add(names[i]!, async () => consumer.check()));
  const retained = app.metrics.counter({ name: 'analytics_retention_deleted_total', help: 'Raw events, searches and popularity rows deleted by retention' });
  const retention = () => repo.deleteOld(cfg.RAW_RETENTION_DAYS, POPULAR_WINDOW_DAYS).then((n) => retained.inc(n), (err: unknown) => app.log.warn({ err }, 'retention failed; next hour again'));
  let retentionTimer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    for (const consumer of consumers) void consumer.startInBackground();
    void retention();
    retentionTimer = setInterval(() => void retention(), 3_600_000).unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(retentionTimer);
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  });

  await app.register(activityRoutes, { collector });
  const reports = new ReportService(new ReportRepository(app.pg), reviews);
  await app.register(analyticsRoutes, { reports });
  return { ...service, repo, reviews, consumers, collector, reports };
}

import { JWKS_PATH } from '@shop/contracts';
import { authPlugin, consumerMetrics, createService, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { OrderRepository } from './repositories/orders.ts';
import { lookupRoutes } from './routes/lookup.ts';
import { orderRoutes } from './routes/orders.ts';
import { OrderCache } from './services/cache.ts';
import { orderEventsConsumer, ordersConsumer } from './services/consumers.ts';
import { OrderService } from './services/orders.ts';
import { REASONS, type OrderDocument } from './services/validation.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'orders', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'orders', cfg, [cfg.ORDERS_TOPIC, cfg.ORDERS_DLQ_TOPIC, cfg.ORDER_EVENTS_TOPIC]);
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });
  // The cache is optional: with Redis down the orders come from PostgreSQL, so Redis is no readiness check.
  app.health.remove('redis');

  const cacheRequests = app.metrics.counter({ name: 'orders_cache_requests_total', help: 'Order reads by cache outcome (error: Redis failed, PostgreSQL answered)', labelNames: ['outcome'] as const });
  for (const outcome of ['hit', 'miss', 'error']) cacheRequests.inc({ outcome }, 0);
  const evictions = app.metrics.counter({ name: 'orders_cache_evictions_total', help: 'Cached orders evicted as least recently used' });
  const ingested = app.metrics.counter({ name: 'orders_ingested_total', help: 'Valid order documents by outcome (stored; duplicate: same uid and content, acknowledged; conflict: dead-lettered)', labelNames: ['outcome'] as const });
  for (const outcome of ['stored', 'duplicate', 'conflict']) ingested.inc({ outcome }, 0);
  const statusEvents = app.metrics.counter({ name: 'orders_status_events_total', help: 'order-events events recorded (a redelivered one is not counted)' });

  const repo = new OrderRepository(app.pg);
  const cacheLog = app.log.child({ component: 'cache' });
  const cache = new OrderCache(app.redis, {
    maxEntries: cfg.CACHE_MAX_ENTRIES, ttlSeconds: cfg.CACHE_TTL_SECONDS, timeoutMs: cfg.CACHE_TIMEOUT_MS,
    onOutcome: (outcome) => cacheRequests.inc({ outcome }),
    onEvicted: (count) => evictions.inc(count),
    onError: (err) => cacheLog.debug({ err }, 'cache unavailable'),
  });
  const orders = new OrderService(repo, cache);

  const metrics = consumerMetrics(app.metrics, 'orders');
  const dlq = metrics.dlq;
  for (const reason of REASONS) dlq.inc({ reason, group: cfg.ORDERS_GROUP }, 0);
  const consumerLog = app.log.child({ component: 'consumer' });
  const deps = {
    kafka: app.kafka, repo, log: consumerLog, metrics, batchSize: cfg.INGEST_BATCH_SIZE, concurrency: cfg.INGEST_CONCURRENCY,
    topics: { orders: cfg.ORDERS_TOPIC, ordersDlq: cfg.ORDERS_DLQ_TOPIC, orderEvents: cfg.ORDER_EVENTS_TOPIC },
    groups: { orders: cfg.ORDERS_GROUP, orderEvents: cfg.ORDER_EVENTS_GROUP },
    retry: { minMs: cfg.INGEST_RETRY_MIN_MS, maxMs: cfg.INGEST_RETRY_MAX_MS },
    onOutcomes: (counts: Record<string, number>) => {
      for (const [outcome, n] of Object.entries(counts)) if (n) ingested.inc({ outcome }, n);
    },
    // After the commit: a failure to fill the cache is logged, never a reason to process the batch again.
    onStored: async (docs: { doc: OrderDocument }[]) => {
      await orders.cacheStored(docs.map((d) => d.doc)).catch((err: unknown) => cacheLog.warn({ err }, 'stored orders not cached'));
    },
    onEvent: async (event: { data: { orderUid: string } }) => {
      statusEvents.inc();
      await orders.refresh([event.data.orderUid]).catch((err: unknown) => cacheLog.warn({ err }, 'changed order not re-cached'));
    },
  };
  const consumers = [ordersConsumer(deps), orderEventsConsumer(deps)];
  app.health.add('orders consumer', async () => consumers[0]!.check());
  app.health.add('order-events consumer', async () => consumers[1]!.check());

  // Ready only once the most recent orders are in the cache (or the warm-up found Redis down: PostgreSQL answers).
  let warmed = false;
  app.health.add('cache warm-up', async () => {
    if (!warmed) throw new Error('warming the cache');
  });
  const warmUp = async () => {
    const count = Math.min(cfg.CACHE_WARM_COUNT, cfg.CACHE_MAX_ENTRIES);
    for (let attempt = 0; ; attempt++) {
      try {
        const started = performance.now();
        const cached = await orders.warm(count);
        cacheLog.info({ cached, ms: Math.round(performance.now() - started) }, 'cache warmed');
        break;
      } catch (err) {
        // PostgreSQL down at start: readiness says so through its own check; try again.
        cacheLog.warn({ err, attempt }, 'cache warm-up failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 10_000)).unref());
        if (app.health.closing) return;
      }
    }
    warmed = true;
  };
  let warming: Promise<void> | undefined;
  app.addHook('onReady', async () => {
    warming = warmUp();
    for (const consumer of consumers) void consumer.startInBackground();
  });
  app.addHook('onClose', async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await warming;
  });

  await app.register(orderRoutes, { orders });
  await app.register(lookupRoutes);
  return { ...service, repo, cache, orders, consumers, isWarm: () => warmed };
}

import { JWKS_PATH } from '@shop/contracts';
import { authPlugin, consumerMetrics, createService, registerClients } from '@shop/kit';
import { DAY_MS } from './core/rank.ts';
import { config } from './config.ts';
import { ModelRepository } from './repositories/model.ts';
import { recommendationRoutes } from './routes/recommendations.ts';
import { AnswerCache } from './services/cache.ts';
import { Catalog } from './services/catalog.ts';
import { activityConsumer, itemEventsConsumer, orderEventsConsumer } from './services/consumers.ts';
import { Recommender } from './services/recommender.ts';
import { RecommendationService } from './services/recommendations.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'recommendations', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'recommendations', cfg, [cfg.USER_ACTIVITY_TOPIC, cfg.ORDER_EVENTS_TOPIC, cfg.ITEM_EVENTS_TOPIC]);
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });

  const repo = new ModelRepository(app.pg, {
    popularHalfLifeMs: cfg.POPULAR_HALF_LIFE_DAYS * DAY_MS, sessionGapMs: cfg.SESSION_GAP_MINUTES * 60_000, sessionItems: 50,
  });
  const cache = new AnswerCache(app.redis, cfg.CACHE_TTL_SECONDS, cfg.REDIS_TIMEOUT_MS);
  const catalog = new Catalog(app.es, cfg.ITEMS_ALIAS, cfg.ES_TIMEOUT_MS);
  const recommender = new Recommender(repo, catalog.similar, { maxPerBrand: cfg.MAX_PER_BRAND, historySize: cfg.HISTORY_SIZE, neighbours: 50 });
  const applied = app.metrics.counter({ name: 'recommendations_events_applied_total', help: 'Events counted into the model, by kind (view, cart, purchase, item)', labelNames: ['kind'] as const });
  const metrics = {
    answers: app.metrics.counter({ name: 'recommendations_answers_total', help: 'Lists answered, by route, source and cache outcome', labelNames: ['route', 'source', 'cache'] as const }),
    degraded: app.metrics.counter({ name: 'recommendations_degraded_total', help: 'Answers from the in-memory popular snapshot because PostgreSQL failed or was slow, by route', labelNames: ['route'] as const }),
  };
  const recommendations = new RecommendationService({ recommender, catalog, cache, log: app.log.child({ component: 'recommendations' }), metrics, dbTimeoutMs: cfg.DB_TIMEOUT_MS });

  const deps = {
    kafka: app.kafka, repo, cache, log: app.log.child({ component: 'consumer' }),
    groups: { activity: cfg.ACTIVITY_GROUP, orders: cfg.ORDER_EVENTS_GROUP, items: cfg.ITEM_EVENTS_GROUP },
    topics: { activity: cfg.USER_ACTIVITY_TOPIC, orders: cfg.ORDER_EVENTS_TOPIC, items: cfg.ITEM_EVENTS_TOPIC },
    metrics: consumerMetrics(app.metrics, 'recommendations'),
    onApplied: (kind: string, count: number) => applied.inc({ kind }, count),
  };
  const consumers = [itemEventsConsumer(deps), activityConsumer(deps), orderEventsConsumer(deps)];
  const names = ['item-events consumer', 'user-activity consumer', 'order-events consumer'];
  consumers.forEach((consumer, i) => app.health.add(names[i]!, async () => consumer.check()));

  let timer: NodeJS.Timeout | undefined;
  const refresh = () => {
    recommendations.refreshSnapshot().catch((err: Error) => app.log.debug({ err }, 'popular snapshot not refreshed'));
    void repo.prune(14 * DAY_MS).catch(() => undefined);
  };
  app.addHook('onReady', async () => {
    for (const consumer of consumers) void consumer.startInBackground();
    refresh();
    timer = setInterval(refresh, cfg.SNAPSHOT_REFRESH_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  });

  await app.register(recommendationRoutes, { service: recommendations });
  return { ...service, repo, cache, consumers, recommendations };
}

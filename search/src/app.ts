import { activityEmitterPlugin, createService, registerClients } from '@shop/kit';
import { BrandList } from './brands.ts';
import { config } from './config.ts';
import { Lemmatizer } from './lemmas.ts';
import { registerSearchRoutes } from './routes/search.ts';
import { PopularQueries, PopularRefresher } from './services/popular.ts';
import { SearchService } from './services/search.ts';
import { SuggestService } from './services/suggest.ts';
import { SynonymFile } from './synonyms.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'search', config, env });
  const { app, config: cfg } = service;
  // Kafka only for the activity emitter (best effort, no readiness check): not through registerClients.
  await registerClients(app, 'search', { ...cfg, KAFKA_BROKERS: undefined });
  await app.register(activityEmitterPlugin, { brokers: cfg.KAFKA_BROKERS, clientId: 'search' });
  app.health.add('items-index', async () => {
    if (!(await app.es.indices.existsAlias({ name: cfg.ITEMS_ALIAS }))) throw new Error(`alias ${cfg.ITEMS_ALIAS} is missing`);
  });

  let rulesVersion = 0;
  const reloads = app.metrics.counter({ name: 'search_synonym_reloads_total', help: 'Synonym list loads by outcome', labelNames: ['outcome'] });
  const synonyms = new SynonymFile({
    file: cfg.SYNONYMS_FILE,
    pollMs: cfg.SYNONYMS_POLL_MS,
    onReload: (rules) => {
      rulesVersion++;
      reloads.inc({ outcome: 'ok' });
      app.log.info({ file: cfg.SYNONYMS_FILE, entries: rules.map.size }, 'synonyms loaded');
    },
    onError: (err) => {
      reloads.inc({ outcome: 'error' });
      app.log.error({ err, file: cfg.SYNONYMS_FILE }, 'synonyms not reloaded; the previous list stays in force');
    },
  });
  await synonyms.start();
  app.addHook('onClose', async () => synonyms.stop());

  const popular = new PopularQueries(app.redis, cfg.SEARCH_REDIS_PREFIX, cfg.ANALYTICS_URL ? 0 : undefined);
  if (cfg.ANALYTICS_URL) {
    const refresher = new PopularRefresher(popular, {
      url: new URL('/api/analytics/popular-queries?limit=5000', cfg.ANALYTICS_URL).toString(), intervalMs: cfg.POPULAR_REFRESH_MS,
      log: app.log.child({ component: 'popular-queries' }),
      outcomes: app.metrics.counter({ name: 'search_popular_refresh_total', help: 'Popular-query list reads from analytics, by outcome', labelNames: ['outcome'] as const }),
    });
    app.addHook('onReady', async () => refresher.start());
    app.addHook('onClose', async () => refresher.stop());
  }
  registerSearchRoutes(app, {
    search: new SearchService(app.es, cfg.ITEMS_ALIAS, () => synonyms.rules, new Lemmatizer(app.es, cfg.ITEMS_ALIAS), new BrandList(app.es, cfg.ITEMS_ALIAS)),
    suggest: new SuggestService({
      es: app.es, itemsAlias: cfg.ITEMS_ALIAS, categoriesIndex: cfg.CATEGORIES_INDEX, popular,
      onPopularError: (err) => app.log.debug({ err }, 'popular queries unavailable'),
    }),
    popular,
    recordPopular: !cfg.ANALYTICS_URL,
    cacheTtlMs: cfg.SEARCH_CACHE_TTL_MS,
    redisPrefix: cfg.SEARCH_REDIS_PREFIX,
    rulesVersion: () => rulesVersion,
  });
  return { ...service, synonyms };
}

import { createService, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { registerSearchRoutes } from './routes/search.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'search', config, env });
  await registerClients(service.app, 'search', service.config);
  const { app, config: cfg } = service;
  app.health.add('items-index', async () => {
    if (!(await app.es.indices.existsAlias({ name: cfg.ITEMS_ALIAS }))) throw new Error(`alias ${cfg.ITEMS_ALIAS} is missing`);
  });
  registerSearchRoutes(service.app, { alias: service.config.ITEMS_ALIAS, cacheTtlMs: service.config.SEARCH_CACHE_TTL_MS });
  return service;
}

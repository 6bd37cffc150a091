import { ITEM_EVENTS_TOPIC, ITEM_EVENTS_DLQ_TOPIC, JWKS_PATH } from '@shop/contracts';
import { authPlugin, createService, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { prismaPlugin } from './plugins/prisma.ts';
import { relayPlugin } from './plugins/relay.ts';
import { categoryRoutes } from './routes/categories.ts';
import { itemRoutes } from './routes/items.ts';
import { sellerRoutes } from './routes/sellers.ts';
import { createServices } from './services/index.ts';
import type { ItemHooks } from './services/items.ts';
import type { RelayHooks } from './services/relay.ts';

/** Seams for tests: failures injected inside the item write transaction or the relay round. */
export interface BuildOptions {
  itemHooks?: ItemHooks;
  relayHooks?: RelayHooks;
}

export async function buildService(env: NodeJS.ProcessEnv = process.env, options: BuildOptions = {}) {
  const service = await createService({ name: 'item-crud', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'item-crud', cfg, [ITEM_EVENTS_TOPIC, ITEM_EVENTS_DLQ_TOPIC]);
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });
  await app.register(prismaPlugin, { url: cfg.DATABASE_URL });
  await app.register(relayPlugin, {
    enabled: cfg.RELAY_ENABLED, batchSize: cfg.RELAY_BATCH_SIZE, pollMs: cfg.RELAY_POLL_MS,
    connectionString: cfg.DATABASE_URL, hooks: options.relayHooks,
  });
  const { categories, items, sellers } = createServices(app, options.itemHooks);
  await app.register(categoryRoutes, { categories });
  await app.register(itemRoutes, { items });
  await app.register(sellerRoutes, { sellers });
  return service;
}

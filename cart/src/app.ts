import { JWKS_PATH } from '@shop/contracts';
import { activityEmitterPlugin, authPlugin, createService, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { CartRepository } from './repositories/carts.ts';
import { CatalogClient } from './repositories/catalog.ts';
import { cartRoutes } from './routes/cart.ts';
import { internalRoutes } from './routes/internal.ts';
import { CartService } from './services/cart.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'cart', config, env });
  const { app, config: cfg } = service;
  // Kafka only for the activity emitter (best effort, no readiness check): not through registerClients.
  await registerClients(app, 'cart', { ...cfg, KAFKA_BROKERS: undefined });
  await app.register(activityEmitterPlugin, { brokers: cfg.KAFKA_BROKERS, clientId: 'cart' });
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });

  const lookups = app.metrics.counter({
    name: 'cart_catalog_lookups_total', help: 'Item lookups at item-crud by outcome (found, gone, timeout, unreachable, status, invalid)', labelNames: ['outcome'] as const,
  });
  const catalog = new CatalogClient(cfg.ITEM_CRUD_URL, { timeoutMs: cfg.CATALOG_TIMEOUT_MS, onOutcome: (outcome) => lookups.inc({ outcome }) });
  const carts = new CartRepository(app.redis, { ttlMs: cfg.CART_TTL_SECONDS * 1000, maxLines: cfg.CART_MAX_LINES, timeoutMs: cfg.REDIS_TIMEOUT_MS });
  const cart = new CartService(carts, catalog, { defaultCurrency: cfg.CART_DEFAULT_CURRENCY, concurrency: cfg.CATALOG_CONCURRENCY });
  await app.register(cartRoutes, { cart });
  await app.register(internalRoutes, { cart });
  return { ...service, cart };
}

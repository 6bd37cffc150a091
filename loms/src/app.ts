import { JWKS_PATH } from '@shop/contracts';
import { ORDERS_TOPIC } from '@shop/contracts/orders';
import { OutboxWriter, ServiceTokens, TOKEN_PATH, authPlugin, createService, outboxRelayPlugin, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { OrderRepository } from './repositories/orders.ts';
import { Upstreams } from './repositories/upstreams.ts';
import { orderRoutes } from './routes/orders.ts';
import { CheckoutService, ORDER_EVENTS_TOPIC, type CheckoutHooks } from './services/checkout.ts';
import { LifecycleService, type LifecycleHooks } from './services/lifecycle.ts';
import { SandboxProvider } from './services/payments.ts';

export const LOMS_OUTBOX = { table: 'outbox', lockKey: 'loms:outbox-relay' } as const;

/** Seams for tests: the checkout's and the cancellation's steps (a kill -9 test pauses after one). */
export interface BuildOptions {
  checkoutHooks?: CheckoutHooks;
  lifecycleHooks?: LifecycleHooks;
}

export async function buildService(env: NodeJS.ProcessEnv = process.env, options: BuildOptions = {}) {
  const service = await createService({ name: 'loms', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'loms', cfg, [ORDERS_TOPIC, ORDER_EVENTS_TOPIC]);
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });
  await app.register(outboxRelayPlugin, {
    ...LOMS_OUTBOX, enabled: cfg.RELAY_ENABLED, batchSize: cfg.RELAY_BATCH_SIZE, pollMs: cfg.RELAY_POLL_MS, connectionString: cfg.DATABASE_URL,
  });

  const tokens = new ServiceTokens({ tokenUrl: new URL(TOKEN_PATH, cfg.SSO_URL), clientId: cfg.LOMS_CLIENT_ID, clientSecret: cfg.LOMS_CLIENT_SECRET });
  const upstreams = new Upstreams(tokens, { cart: cfg.CART_URL.replace(/\/$/, ''), itemCrud: cfg.ITEM_CRUD_URL.replace(/\/$/, '') }, cfg.UPSTREAM_TIMEOUT_MS);
  const orders = new OrderRepository(app.pg, new OutboxWriter({ table: LOMS_OUTBOX.table }));
  const provider = new SandboxProvider(app.pg);
  const checkout = new CheckoutService(orders, upstreams, provider, { deliveryCostMinor: cfg.DELIVERY_COST_MINOR, log: app.log.child({ component: 'checkout' }) }, options.checkoutHooks);

  const lifecycle = new LifecycleService(orders, upstreams, provider, options.lifecycleHooks);
  await app.register(orderRoutes, { checkout, orders, lifecycle, idempotencyTtlSeconds: cfg.IDEMPOTENCY_TTL_SECONDS });

  // Crash safety: unfinished checkouts (a crash between the steps) are completed or given back, and interrupted
  // cancellations finished, at start and then periodically; one pass at a time per process.
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const pass = () => {
    running = checkout.recover(cfg.RECOVERY_AFTER_SECONDS)
      .then(() => lifecycle.finishCancellations(cfg.RECOVERY_AFTER_SECONDS, 'recovery-cancellations'))
      .catch((err: unknown) => app.log.error({ err }, 'recovery pass failed'));
    return running;
  };
  if (cfg.RECOVERY_ENABLED) {
    app.addHook('onReady', async () => {
      void pass();
      timer = setInterval(() => void running.then(pass), cfg.RECOVERY_INTERVAL_MS);
      timer.unref();
    });
  }
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
  return { ...service, checkout, lifecycle, orders, provider };
}

import { USER_EVENTS_TOPIC } from '@shop/contracts';
import { createService, outboxRelayPlugin, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { prismaPlugin } from './plugins/prisma.ts';
import { authRoutes } from './routes/auth.ts';
import { jwksRoutes } from './routes/jwks.ts';
import { tokenRoutes } from './routes/token.ts';
import { createServices } from './services/index.ts';
import { SSO_OUTBOX } from './services/user-events.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'sso', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'sso', cfg, [USER_EVENTS_TOPIC]);
  await app.register(prismaPlugin, { url: cfg.DATABASE_URL });
  // user-events: written in the account's transaction, published from here (one round at a time across instances).
  await app.register(outboxRelayPlugin, {
    ...SSO_OUTBOX, enabled: cfg.RELAY_ENABLED, batchSize: cfg.RELAY_BATCH_SIZE, pollMs: cfg.RELAY_POLL_MS, connectionString: cfg.DATABASE_URL,
  });
  const { auth, keys, clients } = createServices(app, cfg);
  await app.register(authRoutes, { auth });
  await app.register(tokenRoutes, { clients });
  await app.register(jwksRoutes, { keys });
  return service;
}

import { createService, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { prismaPlugin } from './plugins/prisma.ts';
import { authRoutes } from './routes/auth.ts';
import { jwksRoutes } from './routes/jwks.ts';
import { tokenRoutes } from './routes/token.ts';
import { createServices } from './services/index.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'sso', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'sso', cfg);
  await app.register(prismaPlugin, { url: cfg.DATABASE_URL });
  const { auth, keys, clients } = createServices(app, cfg);
  await app.register(authRoutes, { auth });
  await app.register(tokenRoutes, { clients });
  await app.register(jwksRoutes, { keys });
  return service;
}

import cors from '@fastify/cors';
import { JWKS_PATH } from '@shop/contracts';
import { authPlugin, createService, registerClients } from '@shop/kit';
import { gate } from './access.ts';
import { config } from './config.ts';
import { registerDocs } from './docs.ts';
import { registerForwarding } from './forward.ts';
import { registerHealthAggregate } from './health.ts';
import { RateLimiter, rateLimitHook } from './rate-limit.ts';
import { securityHeaders } from './security-headers.ts';
import { SharedPathMethods } from './shared-paths.ts';
import { upstreams } from './upstreams.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'proxy', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'proxy', cfg);
  const origins = cfg.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  await app.register(cors, { origin: origins.length ? origins : false, credentials: false, exposedHeaders: ['x-request-id', 'retry-after'] });

  // Security headers on every answer: proxied ones get them in their single writeHead (below), the
  // proxy's own answers (errors, 429, docs, health) here; a header the route set itself wins.
  const security = securityHeaders({ contentSecurityPolicy: false });
  const securityEntries = Object.entries(security);
  app.addHook('onSend', (_request, reply, payload, done) => {
    for (const [name, value] of securityEntries) if (!reply.hasHeader(name)) reply.header(name, value);
    done(null, payload);
  });

  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });
  app.addHook('onRequest', gate({ upload: cfg.UPLOAD_BODY_LIMIT_BYTES, body: cfg.BODY_LIMIT_BYTES }));

  const limiter = new RateLimiter({
    redis: app.redis, max: cfg.RATE_LIMIT_MAX, windowMs: cfg.RATE_LIMIT_WINDOW_MS, lease: cfg.RATE_LIMIT_LEASE,
    onRedisError: (err) => app.log.warn({ err }, 'rate limit: Redis unavailable, counting locally'),
  });
  app.addHook('onClose', async () => limiter.close());
  app.addHook('onRequest', rateLimitHook(limiter, {
    keyFor: (request) => (request.identity ? `user:${request.identity.id}` : `ip:${request.ip}`),
    skip: (request) => request.url.startsWith('/health') || request.url === '/metrics',
  }));

  const services = upstreams(cfg);
  // 405 + Allow on the prefixes services share by method (a method routed to a service that does not know the path).
  const shared = new SharedPathMethods(services);
  app.addHook('onRequest', shared.hook());
  app.addHook('onReady', async () => {
    void shared.load().catch((err: unknown) => app.log.warn({ err }, 'shared-path methods not loaded yet'));
  });
  await registerForwarding(app, services, { timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, staticHeaders: security });
  registerHealthAggregate(app, services);
  await registerDocs(app, services, { body: cfg.BODY_LIMIT_BYTES, upload: cfg.UPLOAD_BODY_LIMIT_BYTES });
  return service;
}

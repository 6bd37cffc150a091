import httpProxy from '@fastify/http-proxy';
import { createService, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { registerHealthAggregate } from './health.ts';
import { upstreams } from './upstreams.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'proxy', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'proxy', cfg);
  const services = upstreams(cfg);
  for (const upstream of services) {
    for (const prefix of upstream.prefixes) {
      await app.register(httpProxy, {
        upstream: upstream.url,
        prefix,
        rewritePrefix: prefix,
        undici: { headersTimeout: cfg.UPSTREAM_TIMEOUT_MS, bodyTimeout: cfg.UPSTREAM_TIMEOUT_MS },
        replyOptions: {
          // The service continues the proxy's span (a child of the caller's trace, if any).
          rewriteRequestHeaders: (request, headers) => {
            const forwarded: Record<string, string | string[] | undefined> = { ...headers, 'x-request-id': request.id };
            request.opentelemetry().inject(forwarded);
            return forwarded;
          },
        },
      });
    }
  }
  registerHealthAggregate(app, services);
  return service;
}

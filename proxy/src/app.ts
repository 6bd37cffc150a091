import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import httpProxy from '@fastify/http-proxy';
import rateLimit from '@fastify/rate-limit';
import { JWKS_PATH } from '@shop/contracts';
import { HttpProblem, authPlugin, createService, registerClients, sendProblem } from '@shop/kit';
import { accessPolicy, bodyLimitFor } from './access.ts';
import { config } from './config.ts';
import { registerDocs } from './docs.ts';
import { registerHealthAggregate } from './health.ts';
import { upstreams } from './upstreams.ts';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_HTTP2_STREAM_CANCEL']);

/** 503 when the service cannot be reached, 504 when it did not answer in time, 502 otherwise. */
export function upstreamStatus(error: unknown): 502 | 503 | 504 {
  const err = error as { statusCode?: number; code?: string; cause?: { code?: string; cause?: { code?: string } } };
  if (err.statusCode === 504) return 504;
  const codes = [err.code, err.cause?.code, err.cause?.cause?.code];
  if (codes.some((c) => c !== undefined && UNREACHABLE.has(c)) || err.statusCode === 503) return 503;
  return 502;
}

/** Headers a client could use to pose as someone; identity only ever comes from a verified token. */
const SPOOFABLE = /^x-(user|auth|role|identity)(-|$)/i;

/**
 * Request headers that concern only the client's connection to the proxy. `expect: 100-continue`
 * (curl sends it for bodies over 1 MiB) was answered by Node already; forwarded, undici refuses the
 * request and an upload would fail with 502.
 */
const HOP_BY_HOP = new Set(['expect']);

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'proxy', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'proxy', cfg);
  const origins = cfg.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  await app.register(cors, { origin: origins.length ? origins : false, credentials: false, exposedHeaders: ['x-request-id', 'retry-after'] });
  await app.register(helmet, { global: true, contentSecurityPolicy: false });
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });
  app.addHook('onRequest', accessPolicy);
  app.addHook('onRequest', bodyLimitFor({ upload: cfg.UPLOAD_BODY_LIMIT_BYTES, body: cfg.BODY_LIMIT_BYTES }));
  await app.register(rateLimit, {
    global: true,
    max: cfg.RATE_LIMIT_MAX,
    timeWindow: cfg.RATE_LIMIT_WINDOW_MS,
    redis: app.redis,
    nameSpace: 'proxy-rate:',
    skipOnError: true, // Redis down: serve rather than refuse everyone
    keyGenerator: (request) => (request.identity ? `user:${request.identity.id}` : `ip:${request.ip}`),
    allowList: (request) => request.url.startsWith('/health') || request.url === '/metrics',
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(429, `rate limit of ${context.max} requests per ${context.after} exceeded`, { type: 'urn:shop:problem:rate-limited' }),
  });

  const services = upstreams(cfg);
  for (const upstream of services) {
    for (const prefix of upstream.prefixes) {
      await app.register(httpProxy, {
        upstream: upstream.url,
        prefix,
        rewritePrefix: prefix,
        undici: { headersTimeout: cfg.UPSTREAM_TIMEOUT_MS, bodyTimeout: cfg.UPSTREAM_TIMEOUT_MS },
        replyOptions: {
          rewriteRequestHeaders: (request, headers) => {
            const forwarded: Record<string, string | string[] | undefined> = { 'x-request-id': request.id };
            for (const [name, value] of Object.entries(headers)) if (!SPOOFABLE.test(name) && !HOP_BY_HOP.has(name)) forwarded[name] = value;
            forwarded['x-request-id'] = request.id;
            // The proxy is the edge: the client address is its socket peer, never a header it sent.
            forwarded['x-forwarded-for'] = request.ip;
            // The service continues the proxy's span (a child of the caller's trace, if any).
            request.opentelemetry().inject(forwarded);
            return forwarded;
          },
          onError: (reply, { error }) => {
            const status = upstreamStatus(error);
            const detail = status === 504
              ? `${upstream.name} did not answer within ${cfg.UPSTREAM_TIMEOUT_MS} ms`
              : status === 503 ? `${upstream.name} is not reachable` : `${upstream.name} failed to answer`;
            reply.log.warn({ err: error, upstream: upstream.name }, 'upstream failure');
            return sendProblem(reply, { type: 'about:blank', title: status === 504 ? 'Gateway Timeout' : status === 503 ? 'Service Unavailable' : 'Bad Gateway', status, detail, instance: reply.request.url });
          },
        },
      });
    }
  }
  registerHealthAggregate(app, services);
  await registerDocs(app, services);
  return service;
}

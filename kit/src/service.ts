import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { TObject, Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import AjvCompiler from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import closeWithGrace from 'close-with-grace';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import type pino from 'pino';
import { ConfigError, type baseConfig, loadConfig } from './config.ts';
import { installProblemHandlers } from './errors.ts';
import { installOpenApiConventions } from './openapi.ts';
import { HealthChecks, healthPlugin } from './health.ts';
import { createLogger, withoutRedaction } from './logger.ts';
import { Metrics, metricsPlugin } from './metrics.ts';
import { initTracing } from './tracing.ts';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

type BaseConfig = Static<TObject<typeof baseConfig>>;
type ServiceConfig = BaseConfig & { PORT: number };

export interface Service<C extends ServiceConfig> {
  app: App;
  config: C;
  /** Listens on HOST:PORT and installs graceful shutdown on SIGTERM/SIGINT. */
  start(): Promise<void>;
}

const REQUEST_ID = /^[\w.:@-]{1,128}$/;

const validatorPool = AjvCompiler();
/** Two Ajv instances from Fastify's own compiler: bodies without type coercion, the rest with it. */
type ValidatorBuilder = ReturnType<typeof validatorPool>;
const bodyStrictValidator = (externalSchemas: Parameters<typeof validatorPool>[0], options: Parameters<typeof validatorPool>[1]): ValidatorBuilder => {
  const coercing = validatorPool(externalSchemas, options);
  const customOptions = { ...(options as { customOptions?: object } | undefined)?.customOptions, coerceTypes: false };
  const strict = validatorPool(externalSchemas, { ...options, customOptions } as Parameters<typeof validatorPool>[1]);
  return ((route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : coercing)(route as never)) as ValidatorBuilder;
};

/** Accepts a sane incoming `x-request-id`, otherwise makes one. */
export function requestIdFor(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const incoming = Array.isArray(header) ? header[0] : header;
  return incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export interface ServiceOptions<S extends TObject> {
  name: string;
  config: S;
  env?: NodeJS.ProcessEnv;
  /** Where logs go (tests capture them); stdout by default. */
  logDestination?: pino.DestinationStream;
}

/**
 * Everything a service gets in one call: validated config, JSON logs with request and trace ids,
 * tracing, metrics, health endpoints, problem+json errors and graceful shutdown.
 */
export async function createService<S extends TObject>(options: ServiceOptions<S>): Promise<Service<Static<S> & ServiceConfig>> {
  const config = loadConfig(options.name, options.config, options.env) as Static<S> & ServiceConfig;
  const logger = createLogger(options.name, config.LOG_LEVEL, options.logDestination);
  const tracing = initTracing(options.name, config.OTEL_EXPORTER_OTLP_ENDPOINT, config.TRACE_SAMPLE_RATIO);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: requestIdFor,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY ? config.TRUST_PROXY.split(',').map((a) => a.trim()) : false,
    // One access-log line per request, written by the onResponse hook below with the request's
    // trace id, instead of Fastify's two lines.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    // multipleOfPrecision: `multipleOf: 0.01` holds for 0.29 (0.29 / 0.01 is 28.999999999999996 in floating point).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true, multipleOfPrecision: 6, strictTypes: false } },
    // JSON bodies carry types: only the query, path and headers (all text) are coerced ("5" → 5).
    // Coercing bodies would turn `"stock": null` into 0 and `true` into 1 behind the document's back.
    schemaController: { compilersFactory: { buildValidator: bodyStrictValidator } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(tracing.fastifyPlugin);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0', info: { title: options.name, version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    // Shared schemas keep their $id as their name in components/schemas (Problem, not def-0).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  installOpenApiConventions(app);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Hooks on every request take a callback: an async hook costs a promise and a microtask each.
  const accessLog = withoutRedaction(logger);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    // Probes and scrapes arrive every few seconds and are not traced: only their failures are logged.
    if (reply.statusCode < 400 && (request.url === '/metrics' || request.url.startsWith('/health/'))) return done();
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    // The request's own span, not whatever context is active when the response finished (a proxied
    // answer finishes in the upstream connection's callbacks).
    const ctx = request.opentelemetry().context;
    const ids = ctx ? trace.getSpan(ctx)?.spanContext() : undefined;
    accessLog[level]({
      requestId: request.id,
      ...(ids && { traceId: ids.traceId, spanId: ids.spanId }),
      req: { method: request.method, url: request.url, remoteAddress: request.ip },
      res: { statusCode: reply.statusCode },
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
    }, 'request completed');
    done();
  });
  installProblemHandlers(app);
  await app.register(metricsPlugin, { metrics: new Metrics(options.name) });
  await app.register(healthPlugin, { checks: new HealthChecks() });

  return {
    app,
    config,
    async start() {
      const closeListeners = closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, logger }, async ({ signal, err }) => {
        if (err) logger.error({ err }, 'shutting down after an unexpected error');
        else logger.info({ signal }, 'shutting down gracefully');
        await app.close();
        await tracing.shutdown();
      });
      app.addHook('onClose', async () => closeListeners.uninstall());
      await app.listen({ host: config.HOST, port: config.PORT });
    },
  };
}

/** A service's whole `main`: build it, start it; a bad configuration exits with its message only. */
export async function runService(build: () => Promise<{ start(): Promise<void> }>): Promise<void> {
  try {
    const service = await build();
    await service.start();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

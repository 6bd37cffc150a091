import { ROOT_CONTEXT, context, propagation, trace, type Context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface Tracing {
  /** Fastify plugin that opens a server span per request, continuing an incoming `traceparent`. */
  fastifyPlugin: FastifyPluginAsync;
  shutdown(): Promise<void>;
}

/** A request's trace: its server span, the context it runs in, and injection into outgoing headers. */
export interface RequestTracing {
  span: Span | undefined;
  context: Context | undefined;
  inject(carrier: Record<string, unknown>): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    opentelemetry(): RequestTracing;
  }
}

const kSpan = Symbol('server span');
const kContext = Symbol('server span context');
type Traced = FastifyRequest & { [kSpan]?: Span; [kContext]?: Context };

/**
 * One SERVER span per request, continuing an incoming `traceparent`, active for the whole lifecycle
 * (so logs carry its ids and outgoing calls are its children). Own plugin rather than @fastify/otel:
 * that one wraps every hook of the app in a per-request check even with hook spans off, which cost the
 * proxy most of its tracing time; the span and what it records are the same.
 */
function serverSpans(service: string, ignore: (url: string) => boolean): FastifyPluginAsync {
  return fp(async (app) => {
    const tracer = trace.getTracer(service);
    app.decorateRequest(kSpan, undefined);
    app.decorateRequest(kContext, undefined);
    app.decorateRequest('opentelemetry', function opentelemetry(this: Traced): RequestTracing {
      const ctx = this[kContext];
      return { span: this[kSpan], context: ctx, inject: (carrier) => propagation.inject(ctx ?? context.active(), carrier) };
    });
    app.addHook('onRequest', (request: Traced, _reply, done) => {
      if (ignore(request.url)) return done();
      const parent = propagation.extract(ROOT_CONTEXT, request.headers);
      const route = request.routeOptions.url;
      const span = tracer.startSpan(route ? `${request.method} ${route}` : request.method, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'url.path': request.url, ...(route ? { 'http.route': route } : {}) },
      }, parent);
      const ctx = trace.setSpan(parent, span);
      request[kSpan] = span;
      request[kContext] = ctx;
      context.with(ctx, done);
    });
    app.addHook('onError', (request: Traced, _reply, error, done) => {
      request[kSpan]?.recordException(error);
      done();
    });
    app.addHook('onResponse', (request: Traced, reply, done) => {
      const span = request[kSpan];
      if (span) {
        span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      done();
    });
  }, { name: 'server-spans' });
}

/**
 * A request that already carries a `traceparent` was propagated on purpose (the proxy forwards
 * its own server span): the automatic client span must not replace it with another context.
 */
function carriesTraceContext(request: { headers: string | (string | string[])[] }): boolean {
  const { headers } = request;
  if (typeof headers === 'string') return /(^|\r\n)traceparent:/i.test(headers);
  return headers.some((h, i) => i % 2 === 0 && typeof h === 'string' && h.toLowerCase() === 'traceparent');
}

let active: { tracing: Tracing; service: string } | undefined;

/**
 * Registers the global tracer provider once per process. Spans (and so trace ids in logs and
 * propagated `traceparent` headers) always exist; they are exported only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Outgoing HTTP (undici/fetch) is traced automatically.
 */
export function initTracing(service: string, otlpEndpoint?: string): Tracing {
  if (active) return active.tracing;
  const spanProcessors: SpanProcessor[] = [];
  if (otlpEndpoint) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` })));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    spanProcessors,
  });
  provider.register();
  registerInstrumentations({ tracerProvider: provider, instrumentations: [new UndiciInstrumentation({ ignoreRequestHook: carriesTraceContext })] });
  const tracing: Tracing = {
    // Probes and scrapes are not traced.
    fastifyPlugin: serverSpans(service, (url) => url === '/metrics' || url.startsWith('/health')),
    shutdown: () => provider.shutdown(),
  };
  active = { tracing, service };
  return tracing;
}

export type MessageHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** Writes the current trace context (`traceparent`, `tracestate`) into Kafka message headers. */
export function injectTraceHeaders(headers: MessageHeaders = {}, ctx: Context = context.active()): MessageHeaders {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return { ...headers, ...carrier };
}

/** Reads the trace context a producer put on a Kafka message. */
export function extractTraceContext(headers: MessageHeaders | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) carrier[key.toLowerCase()] = first.toString();
  }
  return propagation.extract(context.active(), carrier);
}

/** Runs `fn` in a span that continues the trace carried by a Kafka message. */
export async function withConsumerSpan<T>(
  name: string,
  headers: MessageHeaders | undefined,
  attributes: Record<string, string | number>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer(active?.service ?? 'shop');
  const parent = extractTraceContext(headers);
  return tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

import { ROOT_CONTEXT, context, propagation, trace, type Context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type Span as SdkSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import pg from 'pg';

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

/**
 * Exports the spans of a `ratio` share of traces, chosen by trace id (so every service keeps or drops the same
 * traces whole), and every span that ended with an error whatever its trace: errors are always kept.
 */
export class SampledExport implements SpanProcessor {
  readonly #next: SpanProcessor;
  readonly #threshold: number;
  constructor(next: SpanProcessor, ratio: number) {
    this.#next = next;
    // The trace id's last 8 hex digits are random (W3C trace context): compared with ratio × 2^32.
    this.#threshold = Math.floor(Math.min(1, Math.max(0, ratio)) * 0x1_0000_0000);
  }

  static keeps(traceId: string, threshold: number): boolean {
    return Number.parseInt(traceId.slice(-8), 16) < threshold;
  }

  onStart(span: SdkSpan, parent: Context): void {
    this.#next.onStart(span, parent);
  }

  onEnd(span: ReadableSpan): void {
    if (span.status.code === SpanStatusCode.ERROR || SampledExport.keeps(span.spanContext().traceId, this.#threshold)) this.#next.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#next.shutdown();
  }
}

/** Longest statement text a database span carries. */
const MAX_STATEMENT = 500;
const kPatched = Symbol.for('shop.kit.pg-traced');

/**
 * CLIENT spans for PostgreSQL queries made inside a trace (every pg client: pools, transactions, Prisma's pg
 * adapter). Background queries outside any trace (relay polls, sweepers) make no spans. ESM imports of pg
 * bypass require hooks, so the prototype is wrapped here once per process.
 */
function tracePostgres(): void {
  const proto = pg.Client.prototype as unknown as Record<symbol | string, unknown> & { query: (...args: unknown[]) => unknown };
  if (proto[kPatched]) return;
  proto[kPatched] = true;
  const query = proto.query;
  const tracer = trace.getTracer('pg');
  proto.query = function tracedQuery(this: pg.Client, ...args: unknown[]) {
    const first = args[0] as { text?: string; submit?: unknown } | string | undefined;
    const parent = context.active();
    // Cursors and other submittables, and queries outside a trace, pass through untouched.
    if (!trace.getSpan(parent) || (typeof first === 'object' && first !== null && typeof first.submit === 'function')) return query.apply(this, args);
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const span = tracer.startSpan(text.trim().split(/\s+/, 1)[0]?.toUpperCase() || 'QUERY', {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system': 'postgresql', 'db.namespace': this.database ?? '', 'db.query.text': text.slice(0, MAX_STATEMENT) },
    }, parent);
    const finish = (err?: unknown) => {
      if (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    };
    const callback = args.at(-1);
    if (typeof callback === 'function') {
      args[args.length - 1] = function done(this: unknown, err: unknown, ...rest: unknown[]) {
        finish(err);
        return (callback as (...a: unknown[]) => unknown).call(this, err, ...rest);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args) as Promise<unknown>;
    return result.then((value) => {
      finish();
      return value;
    }, (err: unknown) => {
      finish(err);
      throw err;
    });
  };
}

let active: { tracing: Tracing; service: string } | undefined;

/**
 * Registers the global tracer provider once per process. Spans (and so trace ids in logs and
 * propagated `traceparent` headers) always exist; they are exported only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, `sampleRatio` of the traces and every error. Outgoing HTTP
 * (undici/fetch, so also Elasticsearch) and PostgreSQL queries are traced automatically.
 */
export function initTracing(service: string, otlpEndpoint?: string, sampleRatio = 1): Tracing {
  if (active) return active.tracing;
  const spanProcessors: SpanProcessor[] = [];
  if (otlpEndpoint) {
    const exporter = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }), { maxQueueSize: 4096 });
    spanProcessors.push(new SampledExport(exporter, sampleRatio));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    spanProcessors,
  });
  provider.register();
  registerInstrumentations({ tracerProvider: provider, instrumentations: [new UndiciInstrumentation({ ignoreRequestHook: carriesTraceContext })] });
  tracePostgres();
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

/**
 * A PRODUCER span for a message about to be sent whose headers carry a trace (its parent: the request that wrote
 * the outbox row), and the headers to send so the consumer's span continues from it. Undefined for a message
 * outside any trace.
 */
export function startProducerSpan(topic: string, key: string, headers: Record<string, string>): { span: Span; headers: Record<string, string> } | undefined {
  if (!headers.traceparent) return undefined;
  const parent = extractTraceContext(headers);
  const span = trace.getTracer(active?.service ?? 'shop').startSpan(`${topic} publish`, {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.kafka.message.key': key, 'messaging.operation.type': 'send' },
  }, parent);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  return { span, headers: { ...headers, ...carrier } };
}

/** Ends producer spans: after the broker acknowledged, or with the error that failed the send. */
export function endProducerSpans(spans: (Span | undefined)[], err?: unknown): void {
  for (const span of spans) {
    if (!span) continue;
    if (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}

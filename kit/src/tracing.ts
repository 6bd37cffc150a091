import { context, propagation, trace, type Context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface Tracing {
  /** Fastify plugin that opens a server span per request, continuing an incoming `traceparent`. */
  fastifyPlugin: ReturnType<FastifyOtelInstrumentation['plugin']>;
  shutdown(): Promise<void>;
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
  // One server span per request (plus the handler); a span per hook would cost more than it tells.
  const fastifyOtel = new FastifyOtelInstrumentation({ instrumentHooks: false, ignorePaths: (r) => r.url === '/metrics' || r.url.startsWith('/health') });
  registerInstrumentations({ tracerProvider: provider, instrumentations: [new UndiciInstrumentation({ ignoreRequestHook: carriesTraceContext }), fastifyOtel] });
  const tracing: Tracing = {
    fastifyPlugin: fastifyOtel.plugin(),
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

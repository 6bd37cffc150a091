import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/** A service's Prometheus registry plus helpers for its own metrics. */
export class Metrics {
  readonly registry = new Registry();
  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }
  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }
  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }
  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }
}

/** Request count and latency per route and status, and `GET /metrics` in Prometheus text format. */
export const metricsPlugin = fp<{ metrics: Metrics }>(
  async (app: FastifyInstance, { metrics }) => {
    app.decorate('metrics', metrics);
    const requests = metrics.counter({
      name: 'http_requests_total', help: 'HTTP requests served, by route and status',
      labelNames: ['method', 'route', 'status_code'] as const,
    });
    const duration = metrics.histogram({
      name: 'http_request_duration_seconds', help: 'HTTP request latency, by route and status',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    // The two series of each method, route and status, looked up once (labelling per request hashes
    // the label object every time).
    const series = new Map<string, { count: Counter.Internal; latency: Histogram.Internal<'method' | 'route' | 'status_code'> }>();
    app.addHook('onResponse', (request, reply, done) => {
      // Unmatched paths share one label so that scanners cannot blow up the series count.
      const route = request.routeOptions.url ?? 'unmatched';
      const key = `${request.method} ${reply.statusCode} ${route}`;
      let s = series.get(key);
      if (s === undefined) {
        const labels = { method: request.method, route, status_code: String(reply.statusCode) };
        s = { count: requests.labels(labels), latency: duration.labels(labels) };
        series.set(key, s);
      }
      s.count.inc();
      s.latency.observe(reply.elapsedTime / 1000);
      done();
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  },
  { name: 'metrics' },
);

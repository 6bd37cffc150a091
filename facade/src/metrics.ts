import { consumerMetrics, type Metrics } from '@shop/kit';

/** The facade's own Prometheus series (next to the kit's HTTP and process metrics). */
export function createFacadeMetrics(metrics: Metrics) {
  return {
    cache: metrics.counter({
      name: 'facade_product_cache_total', help: 'Product page answers by cache result: hit (from Redis), miss (built from the sources), bypass (Redis unavailable or the cache off)',
      labelNames: ['result'] as const,
    }),
    build: metrics.histogram({
      name: 'facade_product_build_seconds', help: 'Building one product page from item-crud and Elasticsearch, by outcome (complete, degraded, not_found, failed)',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    singleFlight: metrics.counter({
      name: 'facade_product_single_flight_total',
      help: 'Misses that did not build themselves: joined (an in-process build), waited (another instance built it), wait_timeout (waited, then built anyway)',
      labelNames: ['kind'] as const,
    }),
    cacheWrites: metrics.counter({
      name: 'facade_product_cache_writes_total', help: 'Cache writes of built pages: stored, refused (invalidated while building), failed (Redis error)',
      labelNames: ['outcome'] as const,
    }),
    upstream: metrics.counter({
      name: 'facade_upstream_requests_total', help: 'Calls to the page sources (item, seller, comments from item-crud; related from Elasticsearch) by outcome',
      labelNames: ['source', 'outcome'] as const,
    }),
    invalidations: metrics.counter({
      name: 'facade_cache_invalidations_total', help: 'Cached product pages invalidated by events, by topic',
      labelNames: ['topic'] as const,
    }),
    /**
     * The kit consumer loop's series of the invalidation consumer: facade_invalidation_retries_total (Redis unavailable),
     * facade_invalidation_skipped_total{topic} (events without an item id, committed without an invalidation),
     * facade_invalidation_consumer_up, facade_invalidation_consumer_lag{topic,partition}, facade_invalidation_batch_size.
     */
    consumer: consumerMetrics(metrics, 'facade_invalidation'),
    imageBytes: metrics.counter({ name: 'facade_image_bytes_total', help: 'Image bytes sent (Content-Length of 200 and 206 answers), by size', labelNames: ['size'] as const }),
  };
}

export type FacadeMetrics = ReturnType<typeof createFacadeMetrics>;

import type { Metrics } from '@shop/kit';

/** The ETL's own Prometheus series (next to the kit's HTTP and process metrics). */
export function createEtlMetrics(metrics: Metrics) {
  return {
    consumed: metrics.counter({
      name: 'etl_events_consumed_total',
      help: 'Item events handled, by event type (or "invalid") and outcome (indexed, deleted, stale, dlq)',
      labelNames: ['type', 'outcome'] as const,
    }),
    batchSize: metrics.histogram({
      name: 'etl_batch_size', help: 'Messages per Kafka batch handed to the ETL',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    }),
    dlq: metrics.counter({ name: 'etl_dlq_total', help: 'Events sent to the dead-letter topic, by reason', labelNames: ['reason'] as const }),
    lag: metrics.gauge({
      name: 'etl_consumer_lag', help: 'Per partition: high watermark minus the committed offset of the ETL consumer group',
      labelNames: ['topic', 'partition'] as const,
    }),
    commitToIndexed: metrics.histogram({
      name: 'etl_commit_to_indexed_seconds', help: 'From the event occurredAt (the database commit) to the Elasticsearch bulk acknowledgement',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    }),
    bulkRetries: metrics.counter({ name: 'etl_bulk_retries_total', help: 'Batches retried after a failed write (Elasticsearch, database or dead-letter topic unavailable)' }),
  };
}

export type EtlMetrics = ReturnType<typeof createEtlMetrics>;

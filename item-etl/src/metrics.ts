import { consumerMetrics, type Metrics } from '@shop/kit';

/** The ETL's own Prometheus series (next to the kit's HTTP and process metrics). */
export function createEtlMetrics(metrics: Metrics) {
  return {
    consumed: metrics.counter({
      name: 'etl_events_consumed_total',
      help: 'Item events handled, by event type (or "invalid") and outcome (indexed, deleted, stale, dlq)',
      labelNames: ['type', 'outcome'] as const,
    }),
    commitToIndexed: metrics.histogram({
      name: 'etl_commit_to_indexed_seconds', help: 'From the event occurredAt (the database commit) to the Elasticsearch bulk acknowledgement',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    }),
    /**
     * The kit consumer loop's series: etl_consumer_lag{topic,partition}, etl_batch_size, etl_dlq_total{reason},
     * etl_bulk_retries_total (batches retried after a failed write), etl_consumer_up, etl_skipped_total; all with `group`.
     */
    consumer: consumerMetrics(metrics, 'etl', { retries: 'etl_bulk_retries_total' }),
  };
}

export type EtlMetrics = ReturnType<typeof createEtlMetrics>;

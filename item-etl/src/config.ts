import { Type, type Static, baseConfig, elasticsearchConfig, kafkaConfig, portConfig, postgresConfig } from '@shop/kit';

const topicName = (fallback: string) => Type.String({ default: fallback, pattern: '^[A-Za-z0-9._-]{1,249}$' });
/** Elasticsearch index and alias names: lowercase, no leading `-_+`, none of `\/*?"<>| ,#:`. */
const indexName = (fallback: string) => Type.String({ default: fallback, pattern: '^[a-z0-9][a-z0-9._-]{0,200}$' });

/** What the CLI (rebuild, reconcile) needs: the same variables as the service, without the HTTP and Kafka ones. */
export const storeConfig = {
  ...elasticsearchConfig,
  ...postgresConfig,
  /** The alias search reads; versioned indices `<alias>-v<timestamp>` sit behind it. */
  ITEMS_ALIAS: indexName('items'),
  /** refresh_interval of the item indices: how soon an indexed change becomes searchable. */
  INDEX_REFRESH_INTERVAL: Type.String({ default: '1s', pattern: '^(-1|\\d+(ms|s|m))$' }),
  /** The category suggestion index (search reads it for `/api/search/suggest`). */
  CATEGORIES_INDEX: indexName('categories'),
  /** Events (documents) per `_bulk` request. */
  BULK_MAX_DOCS: Type.Integer({ default: 500, minimum: 1, maximum: 10_000 }),
};

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8083),
  ...kafkaConfig,
  ...storeConfig,
  ITEM_EVENTS_TOPIC: topicName('item-events'),
  DLQ_TOPIC: topicName('item-events.dlq'),
  ETL_GROUP_ID: Type.String({ default: 'item-etl', minLength: 1, maxLength: 200 }),
  /** Partitions of ITEM_EVENTS_TOPIC processed at the same time (each partition stays in order). */
  ETL_PARTITION_CONCURRENCY: Type.Integer({ default: 3, minimum: 1, maximum: 64 }),
  /** How often the category table is copied into CATEGORIES_INDEX (also at start). */
  CATEGORY_SYNC_MS: Type.Integer({ default: 300_000, minimum: 1_000 }),
});

export const cliConfig = Type.Object({ LOG_LEVEL: baseConfig.LOG_LEVEL, ...storeConfig });

export type EtlConfig = Static<typeof config>;
export type StoreConfig = Static<typeof cliConfig>;

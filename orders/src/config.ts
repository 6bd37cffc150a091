import { Type, type Static, baseConfig, kafkaConfig, portConfig, postgresConfig, redisConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8088),
  ...postgresConfig,
  ...kafkaConfig,
  ...redisConfig,
  /** The sso's base URL: access tokens are verified against its `/.well-known/jwks.json`. */
  SSO_URL: urlConfig(),
  /** Topics (tests and the crash test run on topics of their own). */
  ORDERS_TOPIC: Type.String({ default: 'orders', pattern: '^[\\w.-]{1,200}$' }),
  ORDERS_DLQ_TOPIC: Type.String({ default: 'orders.dlq', pattern: '^[\\w.-]{1,200}$' }),
  ORDER_EVENTS_TOPIC: Type.String({ default: 'order-events', pattern: '^[\\w.-]{1,200}$' }),
  /** Consumer groups (tests run their own beside the running service). */
  ORDERS_GROUP: Type.String({ default: 'orders', minLength: 1, maxLength: 100 }),
  ORDER_EVENTS_GROUP: Type.String({ default: 'orders-events', minLength: 1, maxLength: 100 }),
  /** Order documents stored per transaction at most (one partition's messages, in offset order). */
  INGEST_BATCH_SIZE: Type.Integer({ default: 500, minimum: 1, maximum: 5_000 }),
  /** Partitions of `orders` handled at the same time (each in offset order, each batch its own transaction). */
  INGEST_CONCURRENCY: Type.Integer({ default: 3, minimum: 1, maximum: 64 }),
  /** A failed batch (database down) is retried after INGEST_RETRY_MIN_MS doubling up to INGEST_RETRY_MAX_MS; the partition waits. */
  INGEST_RETRY_MIN_MS: Type.Integer({ default: 200, minimum: 10 }),
  INGEST_RETRY_MAX_MS: Type.Integer({ default: 5_000, minimum: 10 }),
  /** Order documents in the Redis cache at most (least recently used ones are evicted); 0: no cache. */
  CACHE_MAX_ENTRIES: Type.Integer({ default: 10_000, minimum: 0, maximum: 10_000_000 }),
  /** A cached order expires after this many seconds even if it is still read (bounds staleness when Redis failed during a status change). */
  CACHE_TTL_SECONDS: Type.Integer({ default: 3600, minimum: 1 }),
  /** The most recent orders put into the cache at start, before the service reports ready. */
  CACHE_WARM_COUNT: Type.Integer({ default: 1_000, minimum: 0, maximum: 1_000_000 }),
  /** A Redis command slower than this counts as failed (the order is read from PostgreSQL). */
  CACHE_TIMEOUT_MS: Type.Integer({ default: 200, minimum: 10 }),
});

export type OrdersConfig = Static<typeof config>;

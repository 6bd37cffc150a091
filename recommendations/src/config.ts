import { Type, type Static, baseConfig, elasticsearchConfig, kafkaConfig, portConfig, postgresConfig, redisConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8091),
  ...postgresConfig,
  ...redisConfig,
  ...kafkaConfig,
  ...elasticsearchConfig,
  /** The sso's base URL: access tokens (for /me) are verified against its `/.well-known/jwks.json`. */
  SSO_URL: urlConfig(),
  /** The search index alias (item-etl's): ratings and content similarity. */
  ITEMS_ALIAS: Type.String({ default: 'items', pattern: '^[a-z0-9][a-z0-9._-]{0,99}$' }),
  /** The topics consumed (tests use topics of their own, so that their events reach no other consumer). */
  USER_ACTIVITY_TOPIC: Type.String({ default: 'user-activity', pattern: '^[\\w.-]{1,200}$' }),
  ORDER_EVENTS_TOPIC: Type.String({ default: 'order-events', pattern: '^[\\w.-]{1,200}$' }),
  ITEM_EVENTS_TOPIC: Type.String({ default: 'item-events', pattern: '^[\\w.-]{1,200}$' }),
  /** Consumer groups (tests run their own beside the running service). */
  ACTIVITY_GROUP: Type.String({ default: 'recommendations-activity', minLength: 1, maxLength: 100 }),
  ORDER_EVENTS_GROUP: Type.String({ default: 'recommendations-orders', minLength: 1, maxLength: 100 }),
  ITEM_EVENTS_GROUP: Type.String({ default: 'recommendations-items', minLength: 1, maxLength: 100 }),
  /** Lifetime of a cached answer; 0 turns the cache off. */
  CACHE_TTL_SECONDS: Type.Integer({ default: 30, minimum: 0, maximum: 3_600 }),
  /** A Redis call that takes longer is given up (the answer is computed without the cache). */
  REDIS_TIMEOUT_MS: Type.Integer({ default: 100, minimum: 1, maximum: 10_000 }),
  /** A list computation that takes longer is given up: the answer is the popular snapshot. */
  DB_TIMEOUT_MS: Type.Integer({ default: 1_000, minimum: 10, maximum: 60_000 }),
  /** Elasticsearch calls (ratings, more_like_this) that take longer are given up. */
  ES_TIMEOUT_MS: Type.Integer({ default: 300, minimum: 10, maximum: 10_000 }),
  /** At most this many items of one brand in a list. */
  MAX_PER_BRAND: Type.Integer({ default: 3, minimum: 1, maximum: 50 }),
  /** Popularity halves every this many days. */
  POPULAR_HALF_LIFE_DAYS: Type.Number({ default: 7, minimum: 0.01, maximum: 365 }),
  /** Views of one session further apart than this start a new session. */
  SESSION_GAP_MINUTES: Type.Integer({ default: 30, minimum: 1, maximum: 1_440 }),
  /** The personal list starts from this many latest interactions. */
  HISTORY_SIZE: Type.Integer({ default: 50, minimum: 1, maximum: 500 }),
  /** The popular list kept in memory for PostgreSQL outages is refreshed this often. */
  SNAPSHOT_REFRESH_MS: Type.Integer({ default: 30_000, minimum: 100 }),
});

export type RecommendationsConfig = Static<typeof config>;

import { fileURLToPath } from 'node:url';
import { Type, baseConfig, elasticsearchConfig, kafkaConfig, portConfig, redisConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8084),
  ...elasticsearchConfig,
  ...redisConfig,
  /** The alias the ETL keeps pointing at the current items index. */
  ITEMS_ALIAS: Type.String({ default: 'items', minLength: 1 }),
  /** The category suggestion index item-etl keeps in step with the category table. */
  CATEGORIES_INDEX: Type.String({ default: 'categories', minLength: 1 }),
  /** Lifetime of a cached search or suggest answer: no answer is older than the index by more than this. */
  SEARCH_CACHE_TTL_MS: Type.Integer({ default: 1_000, minimum: 0, maximum: 60_000 }),
  /** Prefix of this service's Redis keys (cached answers, popular queries). */
  SEARCH_REDIS_PREFIX: Type.String({ default: 'search', pattern: '^[a-z0-9:_-]{1,50}$' }),
  /** The synonym list (see search/README.md); re-read when it changes and on SIGHUP. */
  SYNONYMS_FILE: Type.String({ default: fileURLToPath(new URL('../synonyms.txt', import.meta.url)), minLength: 1 }),
  SYNONYMS_POLL_MS: Type.Integer({ default: 2_000, minimum: 100 }),
  /** Where `search` activity events go (`user-activity`, the kit's emitter); unset: none are sent (counted as dropped). Not a readiness dependency. */
  KAFKA_BROKERS: Type.Optional(kafkaConfig.KAFKA_BROKERS),
  /**
   * Analytics (GET /api/analytics/popular-queries): when set, popular-query suggestions come from its aggregates
   * (each shopper once per day, decaying, at least two shoppers), re-read every POPULAR_REFRESH_MS; unset: search
   * counts its own answered queries in Redis.
   */
  ANALYTICS_URL: Type.Optional(urlConfig()),
  POPULAR_REFRESH_MS: Type.Integer({ default: 60_000, minimum: 100 }),
});

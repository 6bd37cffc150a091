import { Type, baseConfig, elasticsearchConfig, portConfig, redisConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8084),
  ...elasticsearchConfig,
  ...redisConfig,
  /** The alias the ETL keeps pointing at the current items index. */
  ITEMS_ALIAS: Type.String({ default: 'items', minLength: 1 }),
  /** Lifetime of a cached search answer: no answer is older than the index by more than this. */
  SEARCH_CACHE_TTL_MS: Type.Integer({ default: 1_000, minimum: 0 }),
});

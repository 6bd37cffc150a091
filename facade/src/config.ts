import { COMMENT_EVENTS_TOPIC, ITEM_EVENTS_TOPIC } from '@shop/contracts';
import { Type, type Static, baseConfig, elasticsearchConfig, kafkaConfig, minioConfig, portConfig, redisConfig, urlConfig } from '@shop/kit';

const topicName = (fallback: string) => Type.String({ default: fallback, pattern: '^[A-Za-z0-9._-]{1,249}$' });

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8085),
  ...elasticsearchConfig,
  ...redisConfig,
  ...minioConfig,
  ...kafkaConfig,
  ITEM_CRUD_URL: urlConfig(),
  /** comment-analysis, for the product page's `reviewSummary`; unset: pages without it. */
  COMMENT_ANALYSIS_URL: Type.Optional(urlConfig()),
  /** Time limit of the review summary call; past it the page goes out without `reviewSummary`. */
  REVIEW_SUMMARY_TIMEOUT_MS: Type.Integer({ default: 300, minimum: 10, maximum: 10_000 }),
  /** The recommendations service, for the product page's `alsoViewed`/`alsoBought`; unset: both are the page's `related`. */
  RECOMMENDATIONS_URL: Type.Optional(urlConfig()),
  /** Time limit of the recommendations calls; past it the lists are the page's `related`. */
  RECOMMENDATIONS_TIMEOUT_MS: Type.Integer({ default: 300, minimum: 10, maximum: 10_000 }),
  /** The alias the ETL keeps pointing at the current items index (related items come from it). */
  ITEMS_ALIAS: Type.String({ default: 'items', pattern: '^[a-z0-9][a-z0-9._-]{0,200}$' }),
  /** Lifetime of a cached product page; events invalidate it sooner. 0 turns the cache off (every answer is a bypass). */
  PRODUCT_CACHE_TTL_MS: Type.Integer({ default: 60_000, minimum: 0 }),
  /** Lifetime of a cached degraded page (one with `missing` parts): short, so a recovered source shows up soon. 0: never cached. */
  PRODUCT_DEGRADED_TTL_MS: Type.Integer({ default: 5_000, minimum: 0 }),
  /** Consumer group of the cache invalidation (one group for all facade instances: each event deletes a shared Redis key once). */
  FACADE_GROUP_ID: Type.String({ default: 'facade', minLength: 1, maxLength: 200 }),
  ITEM_EVENTS_TOPIC: topicName(ITEM_EVENTS_TOPIC),
  COMMENT_EVENTS_TOPIC: topicName(COMMENT_EVENTS_TOPIC),
  /** Run the invalidation consumer in this instance. */
  INVALIDATION_ENABLED: Type.Boolean({ default: true }),
});

export type FacadeConfig = Static<typeof config>;

import { Type, type Static, baseConfig, elasticsearchConfig, kafkaConfig, portConfig, postgresConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8092),
  ...postgresConfig,
  ...kafkaConfig,
  ...elasticsearchConfig,
  /** The sso's base URL: access tokens (the admin route) are verified against its `/.well-known/jwks.json`. */
  SSO_URL: urlConfig(),
  /** Index (or alias) whose analyzer gives the stems: the items index, so search and review analysis read words alike. */
  ANALYSIS_INDEX: Type.String({ default: 'items', minLength: 1, maxLength: 255 }),
  ANALYSIS_ANALYZER: Type.String({ default: 'shop_text', minLength: 1, maxLength: 100 }),
  /** The topic of review changes (a benchmark uses one of its own); refusals go to `<topic>.dlq`. */
  COMMENT_EVENTS_TOPIC: Type.String({ default: 'comment-events', pattern: '^[A-Za-z0-9._-]{1,240}$' }),
  /** Consumer group of `comment-events` (tests run their own beside the running service). */
  COMMENT_EVENTS_GROUP: Type.String({ default: 'comment-analysis', minLength: 1, maxLength: 100 }),
  /** Where a review's text is read when its event carries none (events produced before the text was added to the contract). */
  ITEM_CRUD_URL: urlConfig(),
  /** Time limit of one call to item-crud. */
  ITEM_CRUD_TIMEOUT_MS: Type.Integer({ default: 3_000, minimum: 50, maximum: 60_000 }),
  /** Where every change of an item's review summary is published (`review-summary.updated`; a benchmark uses a topic of its own). */
  REVIEW_SUMMARIES_TOPIC: Type.String({ default: 'review-summaries', pattern: '^[A-Za-z0-9._-]{1,240}$' }),
  /** The outbox relay publishes the summaries' events (off: rows are written, another instance relays). */
  RELAY_ENABLED: Type.Boolean({ default: true }),
  /** Outbox rows per relay round (one Kafka request); a reanalysis or `publish-summaries` writes thousands at once. */
  RELAY_BATCH_SIZE: Type.Integer({ default: 500, minimum: 1, maximum: 10_000 }),
  /** Fallback poll when no NOTIFY arrives, in ms. */
  RELAY_POLL_MS: Type.Integer({ default: 1_000, minimum: 10, maximum: 60_000 }),
});

export type CommentAnalysisConfig = Static<typeof config>;

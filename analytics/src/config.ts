import { Type, type Static, baseConfig, kafkaConfig, portConfig, postgresConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8090),
  ...postgresConfig,
  ...kafkaConfig,
  /** The sso's base URL: access tokens are verified against its `/.well-known/jwks.json`. */
  SSO_URL: urlConfig(),
  /** Consumer groups (tests run their own beside the running analytics; the event id dedup keeps counts exact). */
  ACTIVITY_GROUP: Type.String({ default: 'analytics', minLength: 1, maxLength: 100 }),
  ORDER_EVENTS_GROUP: Type.String({ default: 'analytics-orders', minLength: 1, maxLength: 100 }),
  USER_EVENTS_GROUP: Type.String({ default: 'analytics-users', minLength: 1, maxLength: 100 }),
  ITEM_EVENTS_GROUP: Type.String({ default: 'analytics-items', minLength: 1, maxLength: 100 }),
  REVIEW_SUMMARIES_GROUP: Type.String({ default: 'analytics-reviews', minLength: 1, maxLength: 100 }),
  /** Up to this many review-summary messages (of one partition) stored in one transaction. */
  REVIEW_SUMMARIES_BATCH_SIZE: Type.Integer({ default: 500, minimum: 1, maximum: 5_000 }),
  /** Events older than this when collected are dropped (with the reason). */
  ACTIVITY_MAX_AGE_HOURS: Type.Integer({ default: 24, minimum: 1, maximum: 24 * 30 }),
  /** Clock skew tolerated for events stamped in the future. */
  ACTIVITY_MAX_FUTURE_MS: Type.Integer({ default: 60_000, minimum: 0, maximum: 3_600_000 }),
  /** Up to this many activity events aggregated in one transaction. */
  AGGREGATE_BATCH_SIZE: Type.Integer({ default: 2_000, minimum: 1, maximum: 5_000 }),
  /** A purchase converts a search of the same shopper made at most this long before, whose results were clicked on the bought item. */
  CONVERSION_WINDOW_HOURS: Type.Integer({ default: 24, minimum: 1, maximum: 24 * 30 }),
  /**
   * Raw events and searches are kept this long (the dedup of a redelivery needs its event id: keep more than Kafka's
   * retention, 7 days by default); the hourly aggregates are kept for good. Checked at start and every hour.
   */
  RAW_RETENTION_DAYS: Type.Integer({ default: 30, minimum: 8, maximum: 3_650 }),
  /** The outbox relay publishes collected events to `user-activity` (off: rows are written, another instance relays). */
  RELAY_ENABLED: Type.Boolean({ default: true }),
  /** Outbox rows per relay round (one Kafka request): collection comes in bursts of small events. */
  RELAY_BATCH_SIZE: Type.Integer({ default: 2_000, minimum: 1, maximum: 5_000 }),
  RELAY_POLL_MS: Type.Integer({ default: 1_000, minimum: 50 }),
});

export type AnalyticsConfig = Static<typeof config>;

import { Type, baseConfig, kafkaConfig, minioConfig, portConfig, postgresConfig, urlConfig } from '@shop/kit';

/** The transactional-outbox relay that runs inside the service (`src/services/relay.ts`). */
export const relayConfig = {
  /** Off: the service writes outbox rows but never publishes them (tests; an instance kept out of relaying). */
  RELAY_ENABLED: Type.Boolean({ default: true }),
  /** Rows sent to Kafka per round (one producer batch, one transaction). */
  RELAY_BATCH_SIZE: Type.Integer({ default: 500, minimum: 1, maximum: 10_000 }),
  /** Fallback poll when no NOTIFY arrives (a notification wakes the relay at once). */
  RELAY_POLL_MS: Type.Integer({ default: 1_000, minimum: 10, maximum: 60_000 }),
};

/** Image uploads (`POST /api/items/:id/images`, `src/services/images.ts`). */
export const imageConfig = {
  /** Largest accepted image file (the file part, not the whole multipart body); larger is a 413. Default 10 MiB. */
  IMAGE_MAX_BYTES: Type.Integer({ default: 10_485_760, minimum: 1_024, maximum: 104_857_600 }),
  /** Largest accepted image in pixels (width × height): a decompression-bomb guard. Default 40 megapixels. */
  IMAGE_MAX_PIXELS: Type.Integer({ default: 40_000_000, minimum: 10_000, maximum: 268_402_689 }),
};

/** Stock reservations for orders being placed (`src/services/reservations.ts`). */
export const reservationConfig = {
  /** How long held units stay reserved when the request does not say (`ttlSeconds`); then the sweeper releases them. */
  RESERVATION_TTL_SECONDS: Type.Integer({ default: 900, minimum: 1, maximum: 86_400 }),
  /** How often the sweeper looks for expired held reservations (one instance at a time, advisory-locked). */
  RESERVATION_SWEEP_INTERVAL_MS: Type.Integer({ default: 10_000, minimum: 50, maximum: 3_600_000 }),
  /** Off: this instance never sweeps (another one does). */
  RESERVATION_SWEEP_ENABLED: Type.Boolean({ default: true }),
};

/** The `review-summaries` consumer (`src/services/review-summaries.ts`): comment-analysis's summaries kept on the items. */
export const reviewSummariesConfig = {
  /** Off: this instance does not consume (another one does; the item-crud tests run their own). */
  REVIEW_SUMMARIES_ENABLED: Type.Boolean({ default: true }),
  /** Topics (tests run on topics of their own). */
  REVIEW_SUMMARIES_TOPIC: Type.String({ default: 'review-summaries', pattern: '^[\\w.-]{1,200}$' }),
  REVIEW_SUMMARIES_DLQ_TOPIC: Type.String({ default: 'review-summaries.dlq', pattern: '^[\\w.-]{1,200}$' }),
  /** The consumer group (every item-crud instance shares it). */
  REVIEW_SUMMARIES_GROUP: Type.String({ default: 'item-crud-review-summaries', minLength: 1, maxLength: 100 }),
};

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8082),
  ...postgresConfig,
  ...kafkaConfig,
  ...minioConfig,
  /** The sso's base URL: access tokens are verified against its `/.well-known/jwks.json`. */
  SSO_URL: urlConfig(),
  ...relayConfig,
  ...imageConfig,
  ...reservationConfig,
  ...reviewSummariesConfig,
});

/** What `src/cli.ts` reads: the database and the images bucket. */
export const cliConfig = Type.Object({
  LOG_LEVEL: baseConfig.LOG_LEVEL,
  ...postgresConfig,
  ...minioConfig,
});

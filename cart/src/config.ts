import { Type, type Static, baseConfig, kafkaConfig, portConfig, redisConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8086),
  ...redisConfig,
  /** The sso's base URL: access tokens are verified against its `/.well-known/jwks.json`. */
  SSO_URL: urlConfig(),
  /** item-crud's base URL: current prices, stock and status come from its public `GET /api/items/:id`. */
  ITEM_CRUD_URL: urlConfig(),
  /** A cart lives this long after its last change (every change sets the TTL again). Default 30 days. */
  CART_TTL_SECONDS: Type.Integer({ default: 30 * 24 * 3600, minimum: 60 }),
  /** Lines (distinct items) one cart may hold; adding one more is a 409. */
  CART_MAX_LINES: Type.Integer({ default: 100, minimum: 1, maximum: 1_000 }),
  /** The currency of an empty cart (item-crud's default currency). */
  CART_DEFAULT_CURRENCY: Type.String({ default: 'RUB', pattern: '^[A-Z]{3}$' }),
  /** item-crud lookups in flight at once for one cart. */
  CATALOG_CONCURRENCY: Type.Integer({ default: 8, minimum: 1, maximum: 64 }),
  /** Time limit of one item lookup; a line whose lookup fails is shown as stored and marked unavailable. */
  CATALOG_TIMEOUT_MS: Type.Integer({ default: 2_000, minimum: 50 }),
  /** Time limit of one Redis call on the request path (Redis slow or down: 503). */
  REDIS_TIMEOUT_MS: Type.Integer({ default: 1_000, minimum: 10 }),
  /** Where add_to_cart / remove_from_cart activity events go (`user-activity`, the kit's emitter); unset: none are sent. Not a readiness dependency. */
  KAFKA_BROKERS: Type.Optional(kafkaConfig.KAFKA_BROKERS),
});

export type CartConfig = Static<typeof config>;

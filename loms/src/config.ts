import { Type, type Static, baseConfig, kafkaConfig, portConfig, postgresConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8087),
  ...postgresConfig,
  ...kafkaConfig,
  /** The sso: access tokens are verified against its JWKS; service tokens come from its `POST /api/auth/token`. */
  SSO_URL: urlConfig(),
  /** The cart service (internal routes: read the caller's cart, clear the ordered lines). */
  CART_URL: urlConfig(),
  /** item-crud (internal routes: stock reservations). */
  ITEM_CRUD_URL: urlConfig(),
  /** loms's service client at the sso (scopes `cart:read cart:write stock:reserve`; `./make.sh up` registers it). */
  LOMS_CLIENT_ID: Type.String({ minLength: 1 }),
  LOMS_CLIENT_SECRET: Type.String({ minLength: 1 }),
  /** Time limit of one call to the cart or item-crud. */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  /** How long an Idempotency-Key and its answer are kept (the IETF draft: 24 h). */
  IDEMPOTENCY_TTL_SECONDS: Type.Integer({ default: 24 * 3600, minimum: 60 }),
  /** The delivery cost added to every order, in minor units. */
  DELIVERY_COST_MINOR: Type.Integer({ default: 0, minimum: 0 }),
  /** The recovery pass (at start, then every RECOVERY_INTERVAL_MS) settles checkouts untouched this long. */
  RECOVERY_AFTER_SECONDS: Type.Integer({ default: 30, minimum: 0 }),
  RECOVERY_INTERVAL_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  RECOVERY_ENABLED: Type.Boolean({ default: true }),
  RELAY_ENABLED: Type.Boolean({ default: true }),
  RELAY_BATCH_SIZE: Type.Integer({ default: 500, minimum: 1, maximum: 5_000 }),
  RELAY_POLL_MS: Type.Integer({ default: 1_000, minimum: 50 }),
});

export type LomsConfig = Static<typeof config>;

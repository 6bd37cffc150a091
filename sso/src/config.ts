import { Type, baseConfig, kafkaConfig, portConfig, postgresConfig, redisConfig } from '@shop/kit';

/** Token lifetimes and key caching: shared by the service and the CLI (`src/cli.ts`). */
export const tokenConfig = {
  /** Lifetime of an access token (JWT), in seconds. */
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 30, maximum: 86_400 }),
  /** Lifetime of a refresh token, in seconds (each rotation issues a token with a fresh lifetime). */
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ default: 2_592_000, minimum: 60 }),
  /**
   * How long an instance keeps the signing key set in memory before re-reading it; a key rotated by
   * the CLI (or another instance) is used for signing after at most this long. 0 re-reads on every use.
   */
  SIGNING_KEY_CACHE_SECONDS: Type.Integer({ default: 5, minimum: 0, maximum: 60 }),
  /**
   * How long `rotate-key` publishes a new key in the JWKS before it signs (publish, then activate).
   * Must exceed how long any verifier caches the JWKS (the kit's: 60 s, `Cache-Control: max-age=60`)
   * plus SIGNING_KEY_CACHE_SECONDS; the previous key signs until then.
   */
  SIGNING_KEY_PUBLISH_SECONDS: Type.Integer({ default: 90, minimum: 0, maximum: 86_400 }),
  /**
   * Lifetime of a service access token (client credentials), in seconds: short, since a disabled client
   * keeps what it holds until then. At most ACCESS_TOKEN_TTL_SECONDS (retired keys verify that long).
   */
  SERVICE_TOKEN_TTL_SECONDS: Type.Integer({ default: 300, minimum: 30, maximum: 3_600 }),
};

/** Brute-force protection of `POST /api/auth/login` (Redis counters, fixed window from the first failure). */
export const loginThrottleConfig = {
  LOGIN_MAX_FAILURES_PER_ACCOUNT: Type.Integer({ default: 5, minimum: 1 }),
  LOGIN_MAX_FAILURES_PER_IP: Type.Integer({ default: 20, minimum: 1 }),
  LOGIN_FAILURE_WINDOW_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
};

/** The relay of the sso's outbox (`user-events`), inside the sso process. */
export const relayConfig = {
  /** Off: events are written to the outbox but this instance never publishes them (another one does). */
  RELAY_ENABLED: Type.Boolean({ default: true }),
  RELAY_BATCH_SIZE: Type.Integer({ default: 500, minimum: 1, maximum: 10_000 }),
  /** Fallback poll when no NOTIFY arrives, in ms. */
  RELAY_POLL_MS: Type.Integer({ default: 1_000, minimum: 10, maximum: 60_000 }),
};

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8081),
  ...postgresConfig,
  ...redisConfig,
  ...kafkaConfig,
  ...relayConfig,
  ...tokenConfig,
  ...loginThrottleConfig,
});

/** What the operator CLI reads: the same variables, minus the ones only the server needs. */
export const cliConfig = Type.Object({ ...postgresConfig, ...tokenConfig });

import { Type, baseConfig, portConfig, redisConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8080),
  ...redisConfig,
  SSO_URL: urlConfig(),
  ITEM_CRUD_URL: urlConfig(),
  ITEM_ETL_URL: urlConfig(),
  SEARCH_URL: urlConfig(),
  FACADE_URL: urlConfig(),
  /**
   * The cart. Defaults to its loopback design port so that proxies started with the older list of
   * upstreams (tests, benchmarks) keep working; make.sh and compose set it.
   */
  CART_URL: Type.String({ ...urlConfig(), default: 'http://127.0.0.1:8086' }),
  /** loms, the order writes (same loopback default as the cart, for the same reason). */
  LOMS_URL: Type.String({ ...urlConfig(), default: 'http://127.0.0.1:8087' }),
  /** The orders service, the order reads and the lookup page (same loopback default as the cart, for the same reason). */
  ORDERS_URL: Type.String({ ...urlConfig(), default: 'http://127.0.0.1:8088' }),
  /** The notifier (same loopback default as the cart, for the same reason). */
  NOTIFIER_URL: Type.String({ ...urlConfig(), default: 'http://127.0.0.1:8089' }),
  /** Analytics: activity collection and the analytics API (same loopback default as the cart, for the same reason). */
  ANALYTICS_URL: Type.String({ ...urlConfig(), default: 'http://127.0.0.1:8090' }),
  /** Review analysis (same loopback default as the cart, for the same reason). */
  COMMENT_ANALYSIS_URL: Type.String({ ...urlConfig(), default: 'http://127.0.0.1:8092' }),
  /** Recommendations (same loopback default as the cart, for the same reason). */
  RECOMMENDATIONS_URL: Type.String({ ...urlConfig(), default: 'http://127.0.0.1:8091' }),
  /** An upstream that has not answered by then gets the client a 504. */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  /**
   * Largest image upload request (multipart) the proxy lets through; every other body is capped by
   * BODY_LIMIT_BYTES. item-crud caps the file itself at 10 MiB; the 64 KiB on top are the multipart
   * framing, so a file of exactly 10 MiB gets through.
   */
  UPLOAD_BODY_LIMIT_BYTES: Type.Integer({ default: 10 * 1024 * 1024 + 64 * 1024, minimum: 1024 }),
  /** Requests per client (user id when signed in, otherwise address) per window. */
  RATE_LIMIT_MAX: Type.Integer({ default: 600, minimum: 1 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1_000 }),
  /**
   * Requests an instance reserves in Redis at a time per client, then counts locally (default 5 % of
   * RATE_LIMIT_MAX, 1..100). Larger: fewer Redis calls; with N instances a client can be refused up to
   * (N−1) × 1.25 leases early. Never more than RATE_LIMIT_MAX get through.
   */
  RATE_LIMIT_LEASE: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Comma-separated browser origins allowed by CORS (none by default). */
  CORS_ORIGINS: Type.String({ default: '' }),
});

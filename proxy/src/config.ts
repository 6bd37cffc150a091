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
  /** An upstream that has not answered by then gets the client a 504. */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
});

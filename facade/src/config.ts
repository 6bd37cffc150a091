import { Type, baseConfig, elasticsearchConfig, kafkaConfig, minioConfig, portConfig, redisConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8085),
  ...elasticsearchConfig,
  ...redisConfig,
  ...minioConfig,
  ...kafkaConfig,
  ITEM_CRUD_URL: urlConfig(),
});

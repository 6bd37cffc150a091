import { Type, baseConfig, elasticsearchConfig, portConfig, redisConfig } from '@shop/kit';

export const config = Type.Object({ ...baseConfig, PORT: portConfig(8084), ...elasticsearchConfig, ...redisConfig });

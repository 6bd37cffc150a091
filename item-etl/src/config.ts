import { Type, baseConfig, elasticsearchConfig, kafkaConfig, portConfig, postgresConfig } from '@shop/kit';

export const config = Type.Object({ ...baseConfig, PORT: portConfig(8083), ...kafkaConfig, ...elasticsearchConfig, ...postgresConfig });

import { Type, baseConfig, kafkaConfig, minioConfig, portConfig, postgresConfig } from '@shop/kit';

export const config = Type.Object({ ...baseConfig, PORT: portConfig(8082), ...postgresConfig, ...kafkaConfig, ...minioConfig });

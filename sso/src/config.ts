import { Type, baseConfig, portConfig, postgresConfig, redisConfig } from '@shop/kit';

export const config = Type.Object({ ...baseConfig, PORT: portConfig(8081), ...postgresConfig, ...redisConfig });

import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { urlConfig } from './config.ts';
import { elasticsearchPlugin } from './plugins/elasticsearch.ts';
import { kafkaPlugin } from './plugins/kafka.ts';
import { minioPlugin } from './plugins/minio.ts';
import { postgresPlugin } from './plugins/postgres.ts';
import { redisPlugin } from './plugins/redis.ts';

/**
 * Config fragments for the infrastructure a service talks to. A service spreads the ones it
 * needs into its schema; `registerClients` then opens exactly those clients.
 */
export const postgresConfig = { DATABASE_URL: urlConfig(['postgres', 'postgresql']) };
export const redisConfig = {
  REDIS_URL: urlConfig(['redis', 'rediss']),
  /** Prepended to every key the service uses (ioredis keyPrefix): tests run a service beside the real one without sharing its keys. */
  REDIS_KEY_PREFIX: Type.String({ default: '', maxLength: 100, pattern: '^[\\w:.-]*$' }),
};
export const kafkaConfig = {
  KAFKA_BROKERS: Type.String({ pattern: '^[\\w.-]+:\\d+(,[\\w.-]+:\\d+)*$', description: 'comma-separated host:port list' }),
};
export const elasticsearchConfig = { ELASTICSEARCH_URL: urlConfig() };
export const minioConfig = {
  MINIO_ENDPOINT: urlConfig(),
  MINIO_ACCESS_KEY: Type.String({ minLength: 3 }),
  MINIO_SECRET_KEY: Type.String({ minLength: 8 }),
  MINIO_BUCKET: Type.String({ default: 'item-images', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' }),
};

export interface ClientConfig {
  DATABASE_URL?: string;
  REDIS_URL?: string;
  REDIS_KEY_PREFIX?: string;
  KAFKA_BROKERS?: string;
  ELASTICSEARCH_URL?: string;
  MINIO_ENDPOINT?: string;
  MINIO_ACCESS_KEY?: string;
  MINIO_SECRET_KEY?: string;
  MINIO_BUCKET?: string;
}

/** Registers a client plugin (with its readiness check) for each infrastructure address in `config`. */
export async function registerClients(app: FastifyInstance, service: string, config: ClientConfig, kafkaTopics: string[] = []): Promise<void> {
  if (config.DATABASE_URL) await app.register(postgresPlugin, { connectionString: config.DATABASE_URL });
  if (config.REDIS_URL) await app.register(redisPlugin, { url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX });
  if (config.KAFKA_BROKERS) {
    await app.register(kafkaPlugin, { brokers: config.KAFKA_BROKERS.split(','), clientId: service, topics: kafkaTopics });
  }
  if (config.ELASTICSEARCH_URL) await app.register(elasticsearchPlugin, { node: config.ELASTICSEARCH_URL });
  if (config.MINIO_ENDPOINT && config.MINIO_ACCESS_KEY && config.MINIO_SECRET_KEY) {
    await app.register(minioPlugin, {
      endpoint: config.MINIO_ENDPOINT, accessKey: config.MINIO_ACCESS_KEY, secretKey: config.MINIO_SECRET_KEY,
      buckets: [config.MINIO_BUCKET ?? 'item-images'],
    });
  }
}

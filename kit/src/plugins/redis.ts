import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

/** A shared Redis connection. Commands fail fast while Redis is down (no offline queue). */
export const redisPlugin = fp<{ url: string; keyPrefix?: string }>(
  async (app, { url, keyPrefix }) => {
    const redis = new Redis(url, {
      keyPrefix: keyPrefix || undefined,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    redis.on('error', (err) => app.log.debug({ err }, 'redis connection error'));
    // Start even when Redis is down: readiness reports it, the client keeps reconnecting.
    await redis.connect().catch((err: Error) => app.log.warn({ err }, 'redis not reachable at start'));
    app.decorate('redis', redis);
    app.health.add('redis', () => redis.ping());
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['health'] },
);

import fp from 'fastify-plugin';
import { Client } from 'minio';

declare module 'fastify' {
  interface FastifyInstance {
    minio: Client;
  }
}

export interface MinioOptions {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Buckets this service needs; readiness fails while one is missing. */
  buckets: string[];
}

export const minioPlugin = fp<MinioOptions>(
  async (app, { endpoint, accessKey, secretKey, buckets }) => {
    const url = new URL(endpoint);
    const minio = new Client({
      endPoint: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      useSSL: url.protocol === 'https:',
      accessKey,
      secretKey,
    });
    app.decorate('minio', minio);
    app.health.add('minio', async () => {
      for (const bucket of buckets) {
        if (!(await minio.bucketExists(bucket))) throw new Error(`bucket ${bucket} is missing`);
      }
    });
  },
  { name: 'minio', dependencies: ['health'] },
);

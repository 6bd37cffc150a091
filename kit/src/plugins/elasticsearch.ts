import { Client } from '@elastic/elasticsearch';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    es: Client;
  }
}

export const elasticsearchPlugin = fp<{ node: string; requestTimeoutMs?: number }>(
  async (app, { node, requestTimeoutMs = 5_000 }) => {
    const es = new Client({ node, requestTimeout: requestTimeoutMs, maxRetries: 1 });
    app.decorate('es', es);
    app.health.add('elasticsearch', async () => {
      const health = await es.cluster.health({ timeout: '1s' });
      if (health.status === 'red') throw new Error('cluster status is red');
    });
    app.addHook('onClose', async () => es.close());
  },
  { name: 'elasticsearch', dependencies: ['health'] },
);

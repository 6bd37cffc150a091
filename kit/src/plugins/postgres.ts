import fp from 'fastify-plugin';
import pg from 'pg';

declare module 'fastify' {
  interface FastifyInstance {
    pg: pg.Pool;
  }
}

/** A PostgreSQL pool (also what the Prisma pg adapter runs on). */
export const postgresPlugin = fp<{ connectionString: string; max?: number }>(
  async (app, { connectionString, max = 10 }) => {
    const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 2_000, idleTimeoutMillis: 30_000 });
    pool.on('error', (err) => app.log.warn({ err }, 'idle postgres client error'));
    app.decorate('pg', pool);
    app.health.add('postgres', () => pool.query('SELECT 1'));
    app.addHook('onClose', async () => pool.end());
  },
  { name: 'postgres', dependencies: ['health'] },
);

/**
 * Runs `fn` in one transaction on a client of `pool`: COMMIT when it resolves, ROLLBACK when it throws (the error
 * goes on), the client released either way.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

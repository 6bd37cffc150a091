import fp from 'fastify-plugin';
import { createDb, type Db } from '../db.ts';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: Db;
  }
}

/** The Prisma client of the sso database, closed with the app (readiness is the kit's postgres check). */
export const prismaPlugin = fp<{ url: string }>(
  async (app, { url }) => {
    const prisma = createDb(url);
    app.decorate('prisma', prisma);
    app.addHook('onClose', async () => prisma.$disconnect());
  },
  { name: 'prisma', dependencies: ['postgres'] },
);

import fp from 'fastify-plugin';
import { createDb, type Db } from '../db.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Prisma client of the shop database (`prisma` is the sso's: one decoration name per type). */
    shopDb: Db;
  }
}

/** The Prisma client of the shop database, closed with the app (readiness is the kit's postgres check). */
export const prismaPlugin = fp<{ url: string }>(
  async (app, { url }) => {
    const db = createDb(url);
    app.decorate('shopDb', db);
    app.addHook('onClose', async () => db.$disconnect());
  },
  { name: 'shop-prisma', dependencies: ['postgres'] },
);

import { pgAdapter } from '@shop/prisma/adapter';
import { PrismaClient } from '@shop/prisma/shop';

export type Db = PrismaClient;

/** The catalog database client (Prisma with the pg driver adapter, no native engine). */
export function createDb(databaseUrl: string): Db {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl) });
}

import { PrismaPg } from '@prisma/adapter-pg';

/** The driver adapter every Prisma client and the Prisma CLI use (no native engine needed). */
export const pgAdapter = (connectionString: string) =>
  // allowExitOnIdle: the Prisma CLI exits as soon as it is done instead of waiting out the idle timeout.
  new PrismaPg({ connectionString, allowExitOnIdle: true });

const DATABASES = { DATABASE_URL_SHOP: 'shop', DATABASE_URL_SSO: 'sso', DATABASE_URL_NOTIFIER: 'notifier', DATABASE_URL_ORDERS: 'orders', DATABASE_URL_COMMENT_ANALYSIS: 'comment_analysis' } as const;

export function databaseUrl(name: keyof typeof DATABASES): string {
  const url = process.env[name] ?? process.env.DATABASE_URL;
  if (!url) throw new Error(`${name} (or DATABASE_URL) must be set to run Prisma against the ${DATABASES[name]} database`);
  return url;
}

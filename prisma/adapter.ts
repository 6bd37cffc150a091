import { PrismaPg } from '@prisma/adapter-pg';

/** The driver adapter every Prisma client and the Prisma CLI use (no native engine needed). */
export const pgAdapter = (connectionString: string) =>
  // allowExitOnIdle: the Prisma CLI exits as soon as it is done instead of waiting out the idle timeout.
  new PrismaPg({ connectionString, allowExitOnIdle: true });

export function databaseUrl(name: 'DATABASE_URL_SHOP' | 'DATABASE_URL_SSO'): string {
  const url = process.env[name] ?? process.env.DATABASE_URL;
  if (!url) throw new Error(`${name} (or DATABASE_URL) must be set to run Prisma against the ${name === 'DATABASE_URL_SSO' ? 'sso' : 'shop'} database`);
  return url;
}

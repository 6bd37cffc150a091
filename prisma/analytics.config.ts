import { defineConfig } from 'prisma/config';
import { pgAdapter } from './adapter.ts';

// analytics: migrations only (the service speaks SQL through the kit's pg pool, no generated client).
const url = () => {
  const value = process.env.DATABASE_URL_ANALYTICS ?? process.env.DATABASE_URL;
  if (!value) throw new Error('DATABASE_URL_ANALYTICS (or DATABASE_URL) must be set to run Prisma against the analytics database');
  return value;
};

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'analytics/schema.prisma',
  migrations: { path: 'analytics/migrations' },
  adapter: async () => pgAdapter(url()),
});

import { defineConfig } from 'prisma/config';
import { pgAdapter } from './adapter.ts';

// recommendations: migrations only (the service speaks SQL through the kit's pg pool, no generated client).
const url = () => {
  const value = process.env.DATABASE_URL_RECOMMENDATIONS ?? process.env.DATABASE_URL;
  if (!value) throw new Error('DATABASE_URL_RECOMMENDATIONS (or DATABASE_URL) must be set to run Prisma against the recommendations database');
  return value;
};

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'recommendations/schema.prisma',
  migrations: { path: 'recommendations/migrations' },
  adapter: async () => pgAdapter(url()),
});

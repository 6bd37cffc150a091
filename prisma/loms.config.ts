import { defineConfig } from 'prisma/config';
import { pgAdapter } from './adapter.ts';

// loms: migrations only (the service speaks SQL through the kit's pg pool, no generated client).
const url = () => {
  const value = process.env.DATABASE_URL_LOMS ?? process.env.DATABASE_URL;
  if (!value) throw new Error('DATABASE_URL_LOMS (or DATABASE_URL) must be set to run Prisma against the loms database');
  return value;
};

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'loms/schema.prisma',
  migrations: { path: 'loms/migrations' },
  adapter: async () => pgAdapter(url()),
});

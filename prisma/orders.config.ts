import { defineConfig } from 'prisma/config';
import { databaseUrl, pgAdapter } from './adapter.ts';

// orders: migrations only (the service speaks SQL through the kit's pg pool, no generated client).
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'orders/schema.prisma',
  migrations: { path: 'orders/migrations' },
  adapter: async () => pgAdapter(databaseUrl('DATABASE_URL_ORDERS')),
});

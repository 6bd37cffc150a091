import { defineConfig } from 'prisma/config';
import { databaseUrl, pgAdapter } from './adapter.ts';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'shop/schema.prisma',
  migrations: { path: 'shop/migrations' },
  adapter: async () => pgAdapter(databaseUrl('DATABASE_URL_SHOP')),
});

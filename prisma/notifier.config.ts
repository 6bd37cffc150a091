import { defineConfig } from 'prisma/config';
import { databaseUrl, pgAdapter } from './adapter.ts';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'notifier/schema.prisma',
  migrations: { path: 'notifier/migrations' },
  adapter: async () => pgAdapter(databaseUrl('DATABASE_URL_NOTIFIER')),
});

import { defineConfig } from 'prisma/config';
import { databaseUrl, pgAdapter } from './adapter.ts';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'sso/schema.prisma',
  migrations: { path: 'sso/migrations' },
  adapter: async () => pgAdapter(databaseUrl('DATABASE_URL_SSO')),
});

import { defineConfig } from 'prisma/config';
import { databaseUrl, pgAdapter } from './adapter.ts';

// comment-analysis: migrations only (the service speaks SQL through the kit's pg pool, no generated client).
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'comment-analysis/schema.prisma',
  migrations: { path: 'comment-analysis/migrations' },
  adapter: async () => pgAdapter(databaseUrl('DATABASE_URL_COMMENT_ANALYSIS')),
});

// `cli.ts publish-summaries`: every item's current review summary published again at revision + 1 (into the outbox;
// the running service's relay sends the rows to `review-summaries`). For summaries from before the topic existed and
// to feed a consumer from scratch (`--item <id>`, repeatable: only those items); consumers keep the highest revision,
// so running it twice does no harm.
// Reads DATABASE_URL (or DATABASE_URL_COMMENT_ANALYSIS) and REVIEW_SUMMARIES_TOPIC.
import { OutboxStore, Type, loadConfig, printJson } from '@shop/kit';
import pg from 'pg';
import { AnalysisRepository, COMMENT_ANALYSIS_OUTBOX } from './repositories/analyses.ts';

const Config = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgresql://shop:shop@127.0.0.1:5432/comment_analysis' }),
  REVIEW_SUMMARIES_TOPIC: Type.String({ default: 'review-summaries', pattern: '^[A-Za-z0-9._-]{1,240}$' }),
});

export async function publishSummaries(options: { items?: string[] } = {}, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const cfg = loadConfig('comment-analysis-cli', Config, { ...env, DATABASE_URL: env.DATABASE_URL ?? env.DATABASE_URL_COMMENT_ANALYSIS });
  const pool = new pg.Pool({ connectionString: cfg.DATABASE_URL, max: 2 });
  try {
    const repo = new AnalysisRepository(pool, { summariesTopic: cfg.REVIEW_SUMMARIES_TOPIC });
    const published = await repo.republishAll({ items: options.items });
    const { pending } = await new OutboxStore(pool, COMMENT_ANALYSIS_OUTBOX).backlog();
    printJson({ ok: true, topic: cfg.REVIEW_SUMMARIES_TOPIC, published, outboxPending: pending });
    return 0;
  } finally {
    await pool.end();
  }
}

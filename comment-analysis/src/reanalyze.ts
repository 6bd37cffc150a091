// `cli.ts reanalyze`: every stored review analyzed again with the current lexicon (those of another analyzer version,
// or all with --all), each item's summary rebuilt; a summary that changes gets its next revision and its
// `review-summaries` event in the outbox (the running service relays it). Reads DATABASE_URL (or
// DATABASE_URL_COMMENT_ANALYSIS), ELASTICSEARCH_URL, ANALYSIS_INDEX, ANALYSIS_ANALYZER, REVIEW_SUMMARIES_TOPIC.
import { Client } from '@elastic/elasticsearch';
import { Type, loadConfig, printJson } from '@shop/kit';
import { Lemmatizer } from '@shop/kit/lemmas';
import pg from 'pg';
import { Analyzer } from './analyzer/analyzer.ts';
import { AnalysisRepository } from './repositories/analyses.ts';
import { ReviewService } from './services/reviews.ts';

const Config = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgresql://shop:shop@127.0.0.1:5432/comment_analysis' }),
  ELASTICSEARCH_URL: Type.String({ default: 'http://127.0.0.1:9200' }),
  ANALYSIS_INDEX: Type.String({ default: 'items', minLength: 1 }),
  ANALYSIS_ANALYZER: Type.String({ default: 'shop_text', minLength: 1 }),
  REVIEW_SUMMARIES_TOPIC: Type.String({ default: 'review-summaries', pattern: '^[A-Za-z0-9._-]{1,240}$' }),
});

export async function reanalyze(options: { all: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const cfg = loadConfig('comment-analysis-cli', Config, { ...env, DATABASE_URL: env.DATABASE_URL ?? env.DATABASE_URL_COMMENT_ANALYSIS });
  const es = new Client({ node: cfg.ELASTICSEARCH_URL });
  const pool = new pg.Pool({ connectionString: cfg.DATABASE_URL, max: 2 });
  try {
    const lemmatizer = new Lemmatizer(es, cfg.ANALYSIS_INDEX, { analyzer: cfg.ANALYSIS_ANALYZER });
    const analyzer = await Analyzer.create({ stems: (w) => lemmatizer.stemsStrict(w) });
    const repo = new AnalysisRepository(pool, { summariesTopic: cfg.REVIEW_SUMMARIES_TOPIC });
    const before = await repo.versions();
    const result = await new ReviewService(repo, { analyzer }).reanalyze({ all: options.all });
    printJson({ ok: true, ...result, versionsBefore: before, versionsAfter: await repo.versions() });
    return 0;
  } finally {
    await pool.end();
    await es.close();
  }
}

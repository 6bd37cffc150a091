import { JWKS_PATH } from '@shop/contracts';
import { authPlugin, consumerMetrics, createService, outboxRelayPlugin, registerClients } from '@shop/kit';
import { Lemmatizer } from '@shop/kit/lemmas';
import { Analyzer } from './analyzer/analyzer.ts';
import { config } from './config.ts';
import { AnalysisRepository, COMMENT_ANALYSIS_OUTBOX } from './repositories/analyses.ts';
import { reviewAnalysisRoutes } from './routes/review-analysis.ts';
import { CommentTexts } from './services/comment-texts.ts';
import { commentEventsConsumer, dlqOf } from './services/consumer.ts';
import { ReviewService } from './services/reviews.ts';

/** Waits between attempts to stem the vocabulary while Elasticsearch does not answer. */
const ANALYZER_RETRY_MS = [500, 1_000, 2_000, 5_000, 10_000];

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'comment-analysis', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'comment-analysis', cfg, [cfg.COMMENT_EVENTS_TOPIC, dlqOf(cfg.COMMENT_EVENTS_TOPIC), cfg.REVIEW_SUMMARIES_TOPIC]);
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });
  // review-summaries: written in the transaction that rebuilds a summary, published from here (the kit's relay: one
  // round at a time across instances, readiness check `outbox`, outbox_* metrics, a PRODUCER span per row).
  await app.register(outboxRelayPlugin, {
    ...COMMENT_ANALYSIS_OUTBOX, enabled: cfg.RELAY_ENABLED, batchSize: cfg.RELAY_BATCH_SIZE, pollMs: cfg.RELAY_POLL_MS, connectionString: cfg.DATABASE_URL,
  });

  // Stems from the items index's analyzer; an Elasticsearch failure is an error (the event is retried), never a
  // silently weaker analysis.
  const lemmatizer = new Lemmatizer(app.es, cfg.ANALYSIS_INDEX, { analyzer: cfg.ANALYSIS_ANALYZER });
  const stemmer = { stems: (words: string[]) => lemmatizer.stemsStrict(words) };
  const repo = new AnalysisRepository(app.pg, { summariesTopic: cfg.REVIEW_SUMMARIES_TOPIC });
  const sentiments = app.metrics.counter({ name: 'comment_analysis_reviews_total', help: 'Reviews analyzed, by language and sentiment', labelNames: ['language', 'sentiment'] as const });
  const aspects = app.metrics.counter({ name: 'comment_analysis_aspects_total', help: 'Aspects judged in analyzed reviews, by aspect and polarity (praised, criticized)', labelNames: ['aspect', 'polarity'] as const });
  const flags = app.metrics.counter({ name: 'comment_analysis_flags_total', help: 'Moderation flags raised on analyzed reviews, by flag', labelNames: ['flag'] as const });
  const reviews = new ReviewService(repo, {
    texts: new CommentTexts(cfg.ITEM_CRUD_URL, cfg.ITEM_CRUD_TIMEOUT_MS),
    onAnalyzed: (a) => {
      sentiments.inc({ language: a.language, sentiment: a.sentiment });
      for (const x of a.aspects) if (x.polarity !== 'neutral') aspects.inc({ aspect: x.aspect, polarity: x.polarity });
      for (const flag of a.flags) flags.inc({ flag });
    },
  });

  const outcomes = app.metrics.counter({ name: 'comment_analysis_events_total', help: 'comment-events handled, by type and outcome (unchanged: a redelivery or an older event)', labelNames: ['type', 'outcome'] as const });
  const consumer = commentEventsConsumer({
    kafka: app.kafka, groupId: cfg.COMMENT_EVENTS_GROUP, topic: cfg.COMMENT_EVENTS_TOPIC, reviews,
    log: app.log.child({ component: 'consumer' }), metrics: consumerMetrics(app.metrics, 'comment_analysis'),
    onOutcome: (event, outcome) => outcomes.inc({ type: event.type, outcome }),
  });
  app.health.add('analyzer', async () => {
    void reviews.analyzer;
  });
  app.health.add('comment-events consumer', async () => consumer.check());

  let closing = false;
  let starting: Promise<void> | undefined;
  app.addHook('onReady', async () => {
    starting = (async () => {
      for (let attempt = 0; !closing; attempt++) {
        try {
          const analyzer = await Analyzer.create(stemmer);
          reviews.useAnalyzer(analyzer);
          app.log.info({ version: analyzer.version }, 'analyzer ready');
          break;
        } catch (err) {
          app.log.warn({ err }, 'the analyzer vocabulary cannot be stemmed yet (Elasticsearch); retrying');
          await new Promise((r) => setTimeout(r, ANALYZER_RETRY_MS[Math.min(attempt, ANALYZER_RETRY_MS.length - 1)]));
        }
      }
      if (!closing) void consumer.startInBackground();
    })();
  });
  app.addHook('onClose', async () => {
    closing = true;
    await starting;
    await consumer.stop();
  });

  await app.register(reviewAnalysisRoutes, { reviews });
  return { ...service, repo, reviews, consumer };
}

// Review analysis throughput, printed as JSON (needs ./make.sh up: Kafka, PostgreSQL, Elasticsearch):
// 1. end to end: N review events (default 5,000; texts of the labelled set, 200 items) on a topic of the bench's own,
//    consumed by a comment-analysis instance in this process (contract validation, stems from Elasticsearch with the
//    cache warm after the first texts, analysis, the row and the item's summary in one PostgreSQL transaction, commit),
//    in reviews/s from the first send to the last row stored;
// 2. the analyzer alone in process on the same texts: with the Elasticsearch-backed Lemmatizer (cache warm) and with
//    the stem table the unit tests read (no I/O at all), in reviews/s.
// Rows go to the tests' database comment_analysis_test and are deleted afterwards, the topics too.
// Usage: node bench/review-analysis.ts [--count 5000] [--items 200] [--rounds 20]
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { encodeCommentEvent, type CommentEvent } from '@shop/contracts';
import { Lemmatizer } from '@shop/kit/lemmas';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import pg from 'pg';
import { Analyzer } from '../comment-analysis/src/analyzer/analyzer.ts';
import { loadLabelledSet } from '../comment-analysis/src/analyzer/evaluation.ts';
import { StemTable } from '../comment-analysis/src/analyzer/stem-table.ts';
import { buildService } from '../comment-analysis/src/app.ts';
import { testDatabase, waitFor } from '../test/support.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '5000' }, items: { type: 'string', default: '200' }, rounds: { type: 'string', default: '20' } } });
const COUNT = Number(values.count);
const ITEMS = Number(values.items);
const ROUNDS = Number(values.rounds);
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const DATABASE_URL = await testDatabase(process.env.DATABASE_URL_COMMENT_ANALYSIS ?? 'postgresql://shop:shop@127.0.0.1:5432/comment_analysis',
  'comment_analysis_test', 'comment-analysis.config.ts', 'DATABASE_URL_COMMENT_ANALYSIS');

const id = randomBytes(4).toString('hex');
const TOPIC = `comment-events-bench-${id}`;
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const reviews = loadLabelledSet();
const items = Array.from({ length: ITEMS }, () => randomUUID());

const kafka = new Kafka({ clientId: 'comment-analysis-bench', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
const es = new Client({ node: ELASTICSEARCH_URL });
await admin.connect();
await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }, { topic: `${TOPIC}.dlq`, numPartitions: 3 }], waitForLeaders: true });

const service = await buildService({
  HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL, KAFKA_BROKERS, ELASTICSEARCH_URL, SSO_URL: 'http://127.0.0.1:8081',
  ITEM_CRUD_URL: 'http://127.0.0.1:8082', COMMENT_EVENTS_TOPIC: TOPIC, COMMENT_EVENTS_GROUP: `comment-analysis-bench-${id}`,
  // The bench's made-up items must not reach the shop's review-summaries consumers: its summaries stay in its test database's outbox.
  RELAY_ENABLED: 'false',
});
try {
  await service.app.ready();
  await waitFor('the analyzer and the consumer', async () => {
    void service.reviews.analyzer;
    await service.consumer.check();
    return true;
  }, 60_000, 100);

  // 1. end to end
  const events: CommentEvent[] = Array.from({ length: COUNT }, (_, i) => {
    const r = reviews[i % reviews.length]!;
    return {
      id: randomUUID(), type: 'comment.created', occurredAt: new Date().toISOString(), source: 'bench',
      data: { id: randomUUID(), itemId: items[i % ITEMS]!, authorId: randomUUID(), text: r.text, rating: r.stars, itemVersion: 2 + Math.floor(i / ITEMS), ratingSummary: { average: r.stars, count: 1 } },
    };
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = performance.now();
  for (let i = 0; i < events.length; i += 500) {
    await producer.send({ topic: TOPIC, acks: -1, messages: events.slice(i, i + 500).map((e) => ({ key: e.data.itemId, value: encodeCommentEvent(e) })) });
  }
  const sentMs = performance.now() - started;
  await producer.disconnect();
  await waitFor('every review stored', async () => {
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM comment_analyses WHERE item_id = ANY($1::uuid[])', [items]);
    return rows[0]!.n === COUNT;
  }, 600_000, 200);
  const e2eMs = performance.now() - started;

  // 2. the analyzer alone
  const inProcess = async (analyzer: Analyzer) => {
    for (const r of reviews) await analyzer.analyze({ text: r.text, rating: r.stars }); // warm-up (stem cache)
    const t0 = performance.now();
    for (let k = 0; k < ROUNDS; k++) for (const r of reviews) await analyzer.analyze({ text: r.text, rating: r.stars });
    return rate(ROUNDS * reviews.length, performance.now() - t0);
  };
  const lemmatizer = new Lemmatizer(es, 'items');
  const withEs = await inProcess(await Analyzer.create({ stems: (w) => lemmatizer.stemsStrict(w) }));
  const withTable = await inProcess(await Analyzer.create(StemTable.fromFile()));
  const { rows: [summaries] } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM item_review_summaries WHERE item_id = ANY($1::uuid[])', [items]);

  console.log(JSON.stringify({
    endToEnd: { reviews: COUNT, items: ITEMS, seconds: Math.round(e2eMs / 100) / 10, reviewsPerSecond: rate(COUNT, e2eMs), producedInMs: Math.round(sentMs), summaries: summaries!.n },
    analyzerInProcess: { reviews: ROUNDS * reviews.length, elasticsearchStemsCachedPerSecond: withEs, stemTablePerSecond: withTable },
  }, null, 2));
} finally {
  await service.app.close();
  await pool.query('DELETE FROM comment_analyses WHERE item_id = ANY($1::uuid[])', [items]);
  await pool.query('DELETE FROM item_review_summaries WHERE item_id = ANY($1::uuid[])', [items]);
  await pool.query('DELETE FROM outbox WHERE key = ANY($1::text[])', [items]);
  await admin.deleteTopics({ topics: [TOPIC, `${TOPIC}.dlq`] }).catch(() => undefined);
  await admin.deleteGroups([`comment-analysis-bench-${id}`]).catch(() => undefined);
  await admin.disconnect();
  await pool.end();
  await es.close();
}

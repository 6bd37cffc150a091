// Shared set-up of the comment-analysis tests: the app built in-process against the real PostgreSQL (its own test
// database comment_analysis_test), Kafka (a consumer group of its own, starting at the end of comment-events),
// Elasticsearch (the items index's analyzer) and the running sso; review events produced by the test.
import { randomBytes, randomUUID } from 'node:crypto';
import { COMMENT_EVENTS_TOPIC, encodeCommentEvent, type CommentEvent } from '@shop/contracts';
import pg from 'pg';
import { closeProducer, kafka, producerOnce, quietLog, readTopic, sleep, tapTopic as kitTapTopic, waitFor } from '../../kit/test/helpers.ts';
import { newAdmin, newUser } from '../../item-crud/test/helpers.ts';
import { testDatabase } from '../../test/support.ts';
import { buildService } from '../src/app.ts';

export { closeProducer, kafka, newAdmin, newUser, quietLog, readTopic, sleep, waitFor };

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
/** The tests' own database: the stack's comment-analysis consumes the same topic into comment_analysis. */
export const DATABASE_URL = await testDatabase(process.env.DATABASE_URL_COMMENT_ANALYSIS ?? 'postgresql://shop:shop@127.0.0.1:5432/comment_analysis',
  'comment_analysis_test', 'comment-analysis.config.ts', 'DATABASE_URL_COMMENT_ANALYSIS');

export type CommentAnalysisApp = Awaited<ReturnType<typeof buildService>>;

/** A new consumer group with no offsets starts at the end of the topic: the test reads only what it sends. */
export async function startAtEnd(groupId: string, topic: string): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
  } finally {
    await admin.disconnect();
  }
}

export const newGroup = () => `comment-analysis-test-${randomBytes(4).toString('hex')}`;

export async function startService(extra: Record<string, string> = {}): Promise<CommentAnalysisApp> {
  const group = extra.COMMENT_EVENTS_GROUP ?? newGroup();
  await startAtEnd(group, COMMENT_EVENTS_TOPIC);
  const service = await buildService({
    HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL, KAFKA_BROKERS, ELASTICSEARCH_URL, SSO_URL,
    ITEM_CRUD_URL: 'http://127.0.0.1:8082', COMMENT_EVENTS_GROUP: group, ...extra,
  });
  await service.app.ready();
  await waitFor('the analyzer and the consumer in its group', async () => {
    void service.reviews.analyzer;
    await service.consumer.check();
    return true;
  }, 30_000, 100);
  return service;
}

export const db = () => new pg.Pool({ connectionString: DATABASE_URL, max: 2 });


/** Raw bytes to comment-events under the item's key: where they landed. */
export async function sendRaw(key: string, value: Buffer | null): Promise<{ partition: number; offset: string }> {
  const [res] = await (await producerOnce()).send({ topic: COMMENT_EVENTS_TOPIC, acks: -1, messages: [{ key, value, headers: { 'content-type': 'application/json' } }] });
  return { partition: res!.partition, offset: res!.baseOffset! };
}
export const sendEvent = (event: CommentEvent) => sendRaw(event.data.itemId, encodeCommentEvent(event));

/** A review event as item-crud writes it; `version` is the item's version after the change. */
export function reviewEvent(type: CommentEvent['type'], review: { id: string; itemId: string; authorId?: string; rating: number; text?: string }, version: number): CommentEvent {
  return {
    id: randomUUID(), type, occurredAt: new Date().toISOString(), source: 'comment-analysis-test',
    data: {
      id: review.id, itemId: review.itemId, authorId: review.authorId ?? randomUUID(), ...(review.text === undefined ? {} : { text: review.text }),
      rating: review.rating, itemVersion: version, ratingSummary: { average: review.rating, count: 1 },
    },
  };
}

export { type Tap, type TappedMessage } from '../../kit/test/helpers.ts';

/** `topic` read from its end by a group of its own (see the kit's test helpers). */
export const tapTopic = (topic: string) => kitTapTopic(topic, 'comment-analysis-test');

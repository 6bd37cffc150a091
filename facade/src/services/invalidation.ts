/**
 * Event-driven invalidation of product pages: one consumer group (`facade`) on `item-events` and
 * `comment-events`, run by the kit's consumer loop. Each batch's item ids are invalidated in Redis
 * (page deleted, generation bumped) and only then are the offsets committed. While Redis is down the
 * same batch is retried with backoff (100 ms doubling to 5 s), heartbeating, so no invalidation is
 * lost; the page TTL bounds staleness only if the consumer itself is down longer than that.
 */
import { validateCommentEvent, validateItemEvent } from '@shop/contracts';
import { ConsumerRunner, exponentialBackoff } from '@shop/kit';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Log } from '../log.ts';
import type { FacadeMetrics } from '../metrics.ts';
import type { PageCache } from '../repositories/page-cache.ts';

export interface InvalidationOptions {
  groupId: string;
  itemTopic: string;
  commentTopic: string;
}

export const invalidationBackoffMs = exponentialBackoff(100, 5_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The item id an event is about: `data.id` of a valid item event, `data.itemId` of a valid comment
 * event. An event that fails its schema still invalidates by its message key (= item id on both
 * topics): a wrong invalidation costs one rebuild, a missed one a stale page. Undefined when there
 * is no id at all.
 */
export function itemIdOf(topic: string, itemTopic: string, message: Pick<KafkaMessage, 'key' | 'value'>): string | undefined {
  let parsed: unknown;
  try {
    parsed = message.value ? JSON.parse(message.value.toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  if (topic === itemTopic) {
    const valid = validateItemEvent(parsed);
    if (valid.ok) return valid.value.data.id.toLowerCase();
  } else {
    const valid = validateCommentEvent(parsed);
    if (valid.ok) return valid.value.data.itemId.toLowerCase();
  }
  const key = message.key?.toString('utf8');
  return key && UUID.test(key) ? key.toLowerCase() : undefined;
}

export type InvalidationConsumer = ConsumerRunner<string, number>;

/**
 * The invalidation consumer. There is no dead-letter topic: an event without any item id is skipped
 * and committed (`facade_invalidation_skipped_total{topic}`); a new group starts at the end (pages
 * cached before it existed expire by their TTL), an existing one resumes where it committed, so
 * invalidations published while the facade was down still apply.
 */
export function createInvalidationConsumer(
  options: InvalidationOptions,
  deps: { kafka: Kafka; cache: PageCache; metrics: FacadeMetrics; log: Log },
): InvalidationConsumer {
  const { cache, metrics } = deps;
  return new ConsumerRunner<string, number>({
    name: 'invalidation consumer',
    kafka: deps.kafka,
    groupId: options.groupId,
    topics: [options.itemTopic, options.commentTopic],
    fromBeginning: false,
    partitionsConsumedConcurrently: 3,
    group: { rebalanceTimeout: 30_000, maxWaitTimeInMs: 500 },
    decode: (_value, message, topic) => {
      const id = itemIdOf(topic, options.itemTopic, message);
      return id ? { ok: true, value: id } : { ok: false, errors: ['no item id (neither a valid event nor a uuid key)'] };
    },
    handleBatch: async (messages) => {
      const ids = [...new Set(messages.map((m) => m.value))];
      await cache.invalidate(ids);
      return { result: ids.length };
    },
    onSettled: ({ topic, result }) => metrics.invalidations.inc({ topic }, result ?? 0),
    backoffMs: invalidationBackoffMs,
    metrics: metrics.consumer,
    log: deps.log,
  });
}

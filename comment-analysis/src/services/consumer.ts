// The `comment-events` consumer (the kit's ConsumerRunner: contract validation, refusals to comment-events.dlq with
// the reason, commit after the effect, retry with backoff): one analysis per review change.
import { COMMENT_EVENTS_TOPIC, decodeCommentEvent, type CommentEvent } from '@shop/contracts';
import { ConsumerRunner, type ConsumerLog, type ConsumerMetrics } from '@shop/kit';
import type { Kafka } from 'kafkajs';
import type { ChangeOutcome, ReviewService } from './reviews.ts';

export const COMMENT_EVENTS_DLQ_TOPIC = `${COMMENT_EVENTS_TOPIC}.dlq`;
export const dlqOf = (topic: string) => `${topic}.dlq`;
/** Messages handled between two offset commits. */
export const CHUNK = 100;

export interface ConsumerDeps {
  kafka: Kafka;
  groupId: string;
  topic: string;
  reviews: ReviewService;
  log: ConsumerLog;
  metrics: ConsumerMetrics;
  onOutcome: (event: CommentEvent, outcome: ChangeOutcome) => void;
}

export function commentEventsConsumer(deps: ConsumerDeps): ConsumerRunner<CommentEvent> {
  return new ConsumerRunner<CommentEvent>({
    name: 'comment-events consumer', kafka: deps.kafka, groupId: deps.groupId,
    topics: [deps.topic], dlqTopic: dlqOf(deps.topic), decode: decodeCommentEvent,
    // Chunks of a partition in offset order, one transaction per review, one offset commit per chunk: a chunk retried
    // after a failure re-applies its first reviews, which changes nothing (the item version guards every row).
    handleBatch: async (messages) => {
      for (const { value } of messages) deps.onOutcome(value, await deps.reviews.apply(value));
    },
    maxBatchSize: CHUNK,
    // The three partitions side by side (each stays in order, and one item's events are in one partition).
    partitionsConsumedConcurrently: 3,
    metrics: deps.metrics, log: deps.log,
  });
}

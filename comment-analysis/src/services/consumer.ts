// The `comment-events` consumer (the kit's ConsumerRunner: contract validation, refusals to comment-events.dlq with
// the reason, commit after the effect, retry with backoff): one analysis per review change.
import { COMMENT_EVENTS_TOPIC, decodeCommentEvent, type CommentEvent } from '@shop/contracts';
import { ConsumerRunner, type ConsumerLog, type ConsumerMetrics } from '@shop/kit';
import type { Kafka } from 'kafkajs';
import type { ChangeOutcome, ReviewService } from './reviews.ts';

export const COMMENT_EVENTS_DLQ_TOPIC = `${COMMENT_EVENTS_TOPIC}.dlq`;

export interface ConsumerDeps {
  kafka: Kafka;
  groupId: string;
  reviews: ReviewService;
  log: ConsumerLog;
  metrics: ConsumerMetrics;
  onOutcome: (event: CommentEvent, outcome: ChangeOutcome) => void;
}

export function commentEventsConsumer(deps: ConsumerDeps): ConsumerRunner<CommentEvent> {
  return new ConsumerRunner<CommentEvent>({
    name: 'comment-events consumer', kafka: deps.kafka, groupId: deps.groupId,
    topics: [COMMENT_EVENTS_TOPIC], dlqTopic: COMMENT_EVENTS_DLQ_TOPIC, decode: decodeCommentEvent,
    handleMessage: async ({ value }) => {
      deps.onOutcome(value, await deps.reviews.apply(value));
    },
    metrics: deps.metrics, log: deps.log,
  });
}

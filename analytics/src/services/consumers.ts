// The consumer groups of analytics (the kit's ConsumerRunner: commit after the effect, retry with backoff):
// - `user-activity` (contract validation; refusals to `user-activity.dlq` with the reason): batches counted into
//   the aggregates, each event id once;
// - `order-events`: a paid order counted (orders, revenue) and its purchases put on `user-activity`;
// - `user-events`: registrations;
// - `item-events`: the item dimension (name, category, seller);
// - `review-summaries` (contract validation; refusals to `review-summaries.dlq` with the reason): each item's latest
//   review summary (highest revision), batches in one transaction.
// `order-events`, `user-events` and `item-events` belong to other services and have dead-letter topics of their
// producers' consumers: what does not decode is skipped and counted, not dead-lettered.
import {
  ITEM_EVENTS_TOPIC, ORDER_EVENTS_TOPIC, REVIEW_SUMMARIES_DLQ_TOPIC, REVIEW_SUMMARIES_TOPIC, USER_ACTIVITY_DLQ_TOPIC, USER_ACTIVITY_TOPIC, USER_EVENTS_TOPIC,
  decodeActivityEvent, decodeItemEvent, decodeOrderEvent, decodeReviewSummaryEvent, decodeUserEvent, type ActivityEvent, type ReviewSummaryEvent,
} from '@shop/contracts';
import { ConsumerRunner, type ConsumerLog, type ConsumerMetrics } from '@shop/kit';
import type { Kafka } from 'kafkajs';
import type { ActivityRepository } from '../repositories/activity.ts';
import type { ReviewSummaryRepository } from '../repositories/review-summaries.ts';
import { latestPerItem } from './review-summaries.ts';

export interface ConsumerDeps {
  kafka: Kafka;
  repo: ActivityRepository;
  log: ConsumerLog;
  groups: { activity: string; orderEvents: string; userEvents: string; itemEvents: string; reviewSummaries: string };
  batchSize: number;
  metrics: ConsumerMetrics;
  /** Events counted for the first time (a redelivery is not). */
  onCounted: (events: ActivityEvent[]) => void;
}

export function activityConsumer(deps: ConsumerDeps): ConsumerRunner<ActivityEvent> {
  return new ConsumerRunner<ActivityEvent>({
    name: 'user-activity consumer', kafka: deps.kafka, groupId: deps.groups.activity,
    topics: [USER_ACTIVITY_TOPIC], dlqTopic: USER_ACTIVITY_DLQ_TOPIC, decode: decodeActivityEvent,
    maxBatchSize: deps.batchSize,
    handleBatch: async (messages) => {
      deps.onCounted(await deps.repo.apply(messages.map((m) => m.value)));
    },
    metrics: deps.metrics, log: deps.log,
  });
}

export function sourceConsumers(deps: ConsumerDeps) {
  const common = { kafka: deps.kafka, metrics: deps.metrics, log: deps.log };
  return [
    new ConsumerRunner({
      ...common, name: 'order-events consumer', groupId: deps.groups.orderEvents, topics: [ORDER_EVENTS_TOPIC], decode: decodeOrderEvent,
      handleMessage: async ({ value }) => {
        await deps.repo.applyOrder(value);
      },
    }),
    new ConsumerRunner({
      ...common, name: 'user-events consumer', groupId: deps.groups.userEvents, topics: [USER_EVENTS_TOPIC], decode: decodeUserEvent,
      handleMessage: async ({ value }) => {
        await deps.repo.applyRegistration(value);
      },
    }),
    new ConsumerRunner({
      ...common, name: 'item-events consumer', groupId: deps.groups.itemEvents, topics: [ITEM_EVENTS_TOPIC], decode: decodeItemEvent,
      handleMessage: async ({ value }) => deps.repo.upsertItem(value),
    }),
  ];
}

export const REVIEW_SUMMARY_OUTCOMES = ['applied', 'stale', 'refused'] as const;
export type ReviewSummaryOutcome = (typeof REVIEW_SUMMARY_OUTCOMES)[number];

/**
 * `review-summaries`: a chunk of up to `batchSize` messages of one partition in one transaction — per item only its
 * highest revision, written when it is above the stored one. What the contract refuses, and summaries the tables
 * cannot hold (`refusal`), go to `review-summaries.dlq` with the reason; the offsets are committed after the
 * transaction and the dead letters (the runner).
 */
export function reviewSummaryConsumer(deps: Pick<ConsumerDeps, 'kafka' | 'log' | 'metrics' | 'groups'> & {
  reviews: ReviewSummaryRepository; batchSize: number; onOutcome: (outcome: ReviewSummaryOutcome, n: number) => void;
}): ConsumerRunner<ReviewSummaryEvent, { applied: number; stale: number }> {
  return new ConsumerRunner<ReviewSummaryEvent, { applied: number; stale: number }>({
    name: 'review-summaries consumer', kafka: deps.kafka, groupId: deps.groups.reviewSummaries,
    topics: [REVIEW_SUMMARIES_TOPIC], dlqTopic: REVIEW_SUMMARIES_DLQ_TOPIC, decode: decodeReviewSummaryEvent,
    maxBatchSize: deps.batchSize,
    handleBatch: async (messages) => {
      const { latest, superseded, refused } = latestPerItem(messages);
      const { applied, stale } = await deps.reviews.apply(latest);
      return { deadLetters: refused, result: { applied, stale: stale + superseded } };
    },
    onSettled: ({ rejected, result }) => {
      if (result?.applied) deps.onOutcome('applied', result.applied);
      if (result?.stale) deps.onOutcome('stale', result.stale);
      if (rejected.length) deps.onOutcome('refused', rejected.length);
    },
    metrics: deps.metrics, log: deps.log,
  });
}

// The consumer groups of analytics (the kit's ConsumerRunner: commit after the effect, retry with backoff):
// - `user-activity` (contract validation; refusals to `user-activity.dlq` with the reason): batches counted into
//   the aggregates, each event id once;
// - `order-events`: a paid order counted (orders, revenue) and its purchases put on `user-activity`;
// - `user-events`: registrations;
// - `item-events`: the item dimension (name, category, seller).
// The last three topics belong to other services: what does not decode is skipped and counted, not dead-lettered.
import {
  ITEM_EVENTS_TOPIC, ORDER_EVENTS_TOPIC, USER_ACTIVITY_DLQ_TOPIC, USER_ACTIVITY_TOPIC, USER_EVENTS_TOPIC,
  decodeActivityEvent, decodeItemEvent, decodeOrderEvent, decodeUserEvent, type ActivityEvent,
} from '@shop/contracts';
import { ConsumerRunner, type ConsumerLog, type ConsumerMetrics } from '@shop/kit';
import type { Kafka } from 'kafkajs';
import type { ActivityRepository } from '../repositories/activity.ts';

export interface ConsumerDeps {
  kafka: Kafka;
  repo: ActivityRepository;
  log: ConsumerLog;
  groups: { activity: string; orderEvents: string; userEvents: string; itemEvents: string };
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

// The three consumer groups (the kit's ConsumerRunner: contract validation, commit after the effect, retry with
// backoff). Each batch is applied in one transaction; the shoppers and items it changed have their cached answers
// invalidated after the commit. A message the contract refuses is skipped (logged, counted in
// recommendations_skipped_total{reason}), not dead-lettered: each topic's DLQ already gets it, with the same reason,
// from the topic's owning consumer (analytics for user-activity, notifier for order-events, item-etl for
// item-events), and every consumer of a contract refuses the same messages, so a second copy would add nothing.
import {
  decodeActivityEvent, decodeItemEvent, decodeOrderEvent, type ActivityEvent, type ItemEvent, type OrderEvent,
} from '@shop/contracts';
import { ConsumerRunner, type ConsumerLog, type ConsumerMetrics } from '@shop/kit';
import type { Kafka } from 'kafkajs';
import { fromActivity, fromOrder } from '../core/events.ts';
import type { ModelEvent } from '../core/model.ts';
import type { ModelRepository } from '../repositories/model.ts';
import type { AnswerCache } from './cache.ts';

export interface ConsumerDeps {
  kafka: Kafka;
  repo: ModelRepository;
  cache: AnswerCache;
  log: ConsumerLog;
  groups: { activity: string; orders: string; items: string };
  topics: { activity: string; orders: string; items: string };
  metrics: ConsumerMetrics;
  /** Events counted into the model, by kind (view, cart, purchase, item). */
  onApplied?: (kind: string, count: number) => void;
}

async function invalidate(deps: ConsumerDeps, work: () => Promise<boolean>, what: string) {
  if (!(await work())) deps.log.warn({ what }, 'cached recommendations not invalidated (Redis unavailable): they expire with their TTL');
}

export function activityConsumer(deps: ConsumerDeps): ConsumerRunner<ActivityEvent> {
  return new ConsumerRunner<ActivityEvent>({
    name: 'user-activity consumer', kafka: deps.kafka, groupId: deps.groups.activity,
    topics: [deps.topics.activity], decode: decodeActivityEvent, maxBatchSize: 200,
    handleBatch: async (messages) => {
      const events = messages.flatMap(({ value }) => {
        const event = fromActivity(value);
        return event ? [{ key: `event:${value.eventId.toLowerCase()}`, event }] : [];
      });
      const actors = await deps.repo.apply(events);
      for (const kind of ['view', 'cart']) deps.onApplied?.(kind, events.filter((e) => e.event.kind === kind).length);
      await invalidate(deps, () => deps.cache.invalidateActors(actors), 'actors');
    },
    metrics: deps.metrics, log: deps.log,
  });
}

export function orderEventsConsumer(deps: ConsumerDeps): ConsumerRunner<OrderEvent> {
  return new ConsumerRunner<OrderEvent>({
    name: 'order-events consumer', kafka: deps.kafka, groupId: deps.groups.orders,
    topics: [deps.topics.orders], decode: decodeOrderEvent, maxBatchSize: 100,
    handleBatch: async (messages) => {
      const events = messages.flatMap(({ value }) => {
        const event: ModelEvent | null = fromOrder(value);
        return event ? [{ key: `order:${event.order}`, event }] : [];
      });
      const actors = await deps.repo.apply(events);
      deps.onApplied?.('purchase', events.length);
      await invalidate(deps, () => deps.cache.invalidateActors(actors), 'actors');
    },
    metrics: deps.metrics, log: deps.log,
  });
}

export function itemEventsConsumer(deps: ConsumerDeps): ConsumerRunner<ItemEvent> {
  return new ConsumerRunner<ItemEvent>({
    name: 'item-events consumer', kafka: deps.kafka, groupId: deps.groups.items,
    topics: [deps.topics.items], decode: decodeItemEvent, maxBatchSize: 500,
    handleBatch: async (messages) => {
      const changed = await deps.repo.upsertItems(messages.map((m) => m.value.data));
      deps.onApplied?.('item', messages.length);
      if (changed.length) await invalidate(deps, () => deps.cache.invalidateAll(), 'all');
    },
    metrics: deps.metrics, log: deps.log,
  });
}

/**
 * Review summaries from comment-analysis (topic `review-summaries`, the contract's `ReviewSummaryEvent`: an item's
 * whole summary at a per-item `revision`), kept on the item. Each event, in one transaction under the item's row
 * lock (taken first, as reviews do): `review_summary`/`review_revision` set with the version + 1 through
 * `ItemRepository.bumpVersion` (only over an older revision) and an `item.updated` outbox row, so the search
 * document (item-etl reads the summary from the row), the product-page cache and every other item-events
 * consumer follow. An event at or below the stored revision, for an unknown or for a deleted item changes
 * nothing. The kit's consumer loop commits the offset only after that transaction committed.
 */
import { decodeReviewSummaryEvent, type ReviewSummaryEvent } from '@shop/contracts';
import { ConsumerRunner, type ConsumerLog, type ConsumerMetrics, type Metrics } from '@shop/kit';
import type { Kafka } from 'kafkajs';
import type { ItemRepository, ItemRecord, Tx } from '../repositories/items.ts';
import type { OutboxWriter } from '../repositories/outbox.ts';
import { outboxRowFor } from './events.ts';

/**
 * What an event did: `applied` (stored, version + 1, `item.updated`), `stale` (at or below the stored revision: a
 * redelivery or an out-of-order copy), `unknown-item`, `deleted-item`; `invalid` counts messages the contract
 * refused (dead-lettered).
 */
export const REVIEW_SUMMARY_OUTCOMES = ['applied', 'stale', 'unknown-item', 'deleted-item', 'invalid'] as const;
export type ReviewSummaryOutcome = (typeof REVIEW_SUMMARY_OUTCOMES)[number];

/** Test seams inside the transaction (a thrown error rolls it back; the consumer loop retries the event). */
export interface ReviewSummaryHooks {
  beforeCommit?: (itemId: string, row: ItemRecord) => Promise<void> | void;
}

export interface ReviewSummaryServiceDeps {
  items: ItemRepository;
  outbox: OutboxWriter;
  hooks?: ReviewSummaryHooks;
}

export class ReviewSummaryService {
  readonly #d: ReviewSummaryServiceDeps;
  constructor(deps: ReviewSummaryServiceDeps) {
    this.#d = deps;
  }

  /** Stores one event's summary on its item (see the file comment); answers what it did. */
  apply(event: ReviewSummaryEvent): Promise<Exclude<ReviewSummaryOutcome, 'invalid'>> {
    const { itemId, revision, summary } = event.data;
    return this.#d.items.transaction(async (tx: Tx) => {
      // The row lock first, as reviews take it: a seller's PATCH (If-Match) waits for this transaction or this one for it.
      if (!(await this.#d.items.lock(tx, itemId))) return (await this.#d.items.status(tx, itemId)) === null ? 'unknown-item' : 'deleted-item';
      const row = await this.#d.items.bumpVersion(tx, itemId, {}, { summary, revision });
      if (!row) return 'stale';
      await this.#d.outbox.add(tx, outboxRowFor('item.updated', row).row);
      await this.#d.hooks?.beforeCommit?.(itemId, row);
      return 'applied';
    });
  }
}

export type ReviewSummaryCounter = ReturnType<Metrics['counter']>;

/** `item_crud_review_summaries_total{outcome}`, every outcome present from the start. */
export function reviewSummaryMetrics(metrics: Metrics): ReviewSummaryCounter {
  const counter = metrics.counter({
    name: 'item_crud_review_summaries_total', labelNames: ['outcome'] as const,
    help: 'review-summaries events by outcome: applied (stored, version + 1), stale (at or below the stored revision), unknown-item, deleted-item, invalid (dead-lettered)',
  });
  for (const outcome of REVIEW_SUMMARY_OUTCOMES) counter.inc({ outcome }, 0);
  return counter;
}

export interface ReviewSummariesConsumerOptions {
  kafka: Kafka;
  topic: string;
  dlqTopic: string;
  groupId: string;
  service: ReviewSummaryService;
  /** The loop's series (`consumerMetrics(app.metrics, 'item_crud')`). */
  metrics: ConsumerMetrics;
  outcomes: ReviewSummaryCounter;
  log: ConsumerLog;
}

/**
 * The kit's consumer loop on `review-summaries`: contract validation (refusals to the dead-letter topic with the
 * reason), one transaction per event, the offset committed after it, retries with backoff (the partition waits).
 */
export function reviewSummariesConsumer(o: ReviewSummariesConsumerOptions): ConsumerRunner<ReviewSummaryEvent> {
  return new ConsumerRunner<ReviewSummaryEvent>({
    name: 'review-summaries consumer', kafka: o.kafka, groupId: o.groupId, topics: [o.topic], dlqTopic: o.dlqTopic,
    decode: decodeReviewSummaryEvent,
    handleMessage: async ({ value }) => {
      const outcome = await o.service.apply(value);
      // Counted once per successful attempt (a failed one rolled back and throws before this).
      o.outcomes.inc({ outcome });
    },
    onSettled: ({ rejected }) => {
      if (rejected.length) o.outcomes.inc({ outcome: 'invalid' }, rejected.length);
    },
    metrics: o.metrics, log: o.log,
  });
}

// The two consumer groups of the orders service (the kit's ConsumerRunner: commit after the effect, retry
// with backoff while the partition waits):
// - `orders`: order documents, decoded against the contract's schema, checked against its consistency rules
//   and plausible dates, stored a batch per transaction (the four tables of each order together); refusals
//   and conflicts go to `orders.dlq` with the original bytes, the reason and the source partition/offset;
// - `order-events`: the status and history of orders placed through loms (idempotent on the event id, the
//   status follows the highest version). The notifier dead-letters that topic's refusals already, so this
//   group only skips and counts them.
import { decodeOrderEvent, type OrderEvent } from '@shop/contracts';
import { ConsumerRunner, exponentialBackoff, type ConsumerLog, type ConsumerMetrics, type DeadLetter, type Decoded } from '@shop/kit';
import type { Kafka } from 'kafkajs';
import type { Incoming, OrderRepository, Outcome } from '../repositories/orders.ts';
import { contentHash, decodeOrder, isDataError, refusal, type OrderDocument } from './validation.ts';

export interface ConsumerDeps {
  kafka: Kafka;
  repo: OrderRepository;
  log: ConsumerLog;
  topics: { orders: string; ordersDlq: string; orderEvents: string };
  groups: { orders: string; orderEvents: string };
  batchSize: number;
  /** Partitions of `orders` handled at the same time. */
  concurrency: number;
  retry: { minMs: number; maxMs: number };
  metrics: ConsumerMetrics;
  /** Documents stored by a committed transaction (the cache is filled with them). */
  onStored: (docs: Incoming[]) => Promise<void>;
  onOutcomes: (counts: Record<Outcome, number>) => void;
  /** An event changed an order's status or history (its cached answer is stale). */
  onEvent: (event: OrderEvent) => Promise<void>;
}

export function ordersConsumer(deps: ConsumerDeps): ConsumerRunner<OrderDocument> {
  return new ConsumerRunner<OrderDocument>({
    name: 'orders consumer', kafka: deps.kafka, groupId: deps.groups.orders,
    topics: [deps.topics.orders], dlqTopic: deps.topics.ordersDlq, decode: decodeOrder,
    maxBatchSize: deps.batchSize, partitionsConsumedConcurrently: deps.concurrency, backoffMs: exponentialBackoff(deps.retry.minMs, deps.retry.maxMs),
    handleBatch: async (messages) => {
      const deadLetters: DeadLetter[] = [];
      const valid: Incoming[] = [];
      const sources: typeof messages = [];
      for (const m of messages) {
        const refused = refusal(m.value);
        if (refused) deadLetters.push({ message: m.message, ...refused });
        else {
          valid.push({ doc: m.value, hash: contentHash(m.value), partition: m.partition, offset: m.message.offset });
          sources.push(m);
        }
      }
      const outcomes = valid.length ? await store(deps, valid, sources, deadLetters) : [];
      const counts: Record<Outcome, number> = { stored: 0, duplicate: 0, conflict: 0 };
      outcomes.forEach((outcome, i) => {
        if (outcome === 'unstorable') return;
        counts[outcome]++;
        if (outcome === 'conflict') {
          deadLetters.push({ message: sources[i]!.message, reason: 'conflict', detail: `order ${valid[i]!.doc.order_uid} is stored with other content; the stored order stays` });
        }
      });
      deps.onOutcomes(counts);
      // The transaction committed: the cache may now hold these (a cache failure changes nothing here).
      await deps.onStored(valid.filter((_, i) => outcomes[i] === 'stored'));
      // The kit sends these before it commits the offsets; dead letters keep the offset order.
      deadLetters.sort((a, b) => Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
      return { deadLetters };
    },
    metrics: deps.metrics, log: deps.log,
  });
}

/**
 * The batch in one transaction; when PostgreSQL refuses the data itself (a document the checks let through but
 * a column or constraint does not), each document alone, and the ones refused again are dead-lettered as
 * `unstorable` instead of holding up the partition forever. Any other failure throws: the chunk is retried.
 */
export async function store(deps: Pick<ConsumerDeps, 'repo' | 'log'>, valid: Incoming[], sources: Decoded<OrderDocument>[], deadLetters: DeadLetter[]): Promise<(Outcome | 'unstorable')[]> {
  try {
    return await deps.repo.storeBatch(valid);
  } catch (err) {
    if (!isDataError(err)) throw err;
    deps.log.warn({ err, count: valid.length }, 'PostgreSQL refused a batch\'s data; storing its documents one by one');
  }
  const outcomes: (Outcome | 'unstorable')[] = [];
  for (const [i, entry] of valid.entries()) {
    try {
      outcomes.push((await deps.repo.storeBatch([entry]))[0]!);
    } catch (err) {
      if (!isDataError(err)) throw err;
      outcomes.push('unstorable');
      deadLetters.push({ message: sources[i]!.message, reason: 'unstorable', detail: `PostgreSQL refused it: ${(err as Error).message}` });
    }
  }
  return outcomes;
}

export function orderEventsConsumer(deps: ConsumerDeps): ConsumerRunner<OrderEvent> {
  return new ConsumerRunner<OrderEvent>({
    name: 'order-events consumer', kafka: deps.kafka, groupId: deps.groups.orderEvents,
    topics: [deps.topics.orderEvents], decode: decodeOrderEvent,
    backoffMs: exponentialBackoff(deps.retry.minMs, deps.retry.maxMs),
    handleMessage: async ({ value }) => {
      if (await deps.repo.recordEvent(value)) await deps.onEvent(value);
    },
    metrics: deps.metrics, log: deps.log,
  });
}

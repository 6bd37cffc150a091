/**
 * The item-events consumer: the kit's consumer loop (`ConsumerRunner`: contract validation, dead
 * letters, commit after the effect, retry with heartbeats, lag, restarts) with the ETL's handler:
 * each chunk of up to BULK_MAX_DOCS events becomes one `_bulk` to every target index. Events whose
 * document cannot be built or that Elasticsearch refuses for good are dead-lettered by the loop.
 */
import { decodeItemEvent, type ItemEvent } from '@shop/contracts';
import { ConsumerRunner, exponentialBackoff, type BatchResult, type ConsumerLog, type ConsumerState, type DeadLetter, type Decoded, type SettledChunk } from '@shop/kit';
import type { Kafka } from 'kafkajs';
import type { IndexLifecycle } from '../index/lifecycle.ts';
import type { EtlMetrics } from '../metrics.ts';
import { RetryableWriteError, bulkWrite, type WriteOp } from './bulk.ts';
import type { DocumentBuilder } from './documents.ts';

export type Log = ConsumerLog;

export interface ConsumerOptions {
  topic: string;
  dlqTopic: string;
  groupId: string;
  bulkMaxDocs: number;
  partitionConcurrency: number;
}

export interface ConsumerDeps {
  kafka: Kafka;
  lifecycle: IndexLifecycle;
  documents: DocumentBuilder;
  metrics: EtlMetrics;
  log: Log;
}

/** One bulk attempt's time limit (then it is retried): below the session timeout. */
export const BULK_TIMEOUT_MS = 10_000;

/** Backoff of the write retries: 100 ms doubling to a 10 s cap. */
export const backoffMs = exponentialBackoff(100, 10_000);

type Outcome = 'indexed' | 'deleted' | 'stale';
/** What a chunk's bulk did, by message offset, and when Elasticsearch acknowledged it. */
interface Indexed { outcomes: Map<string, Outcome>; ackedAt: number }

export class ItemEventsConsumer {
  readonly #deps: ConsumerDeps;
  readonly #runner: ConsumerRunner<ItemEvent, Indexed>;

  constructor(options: ConsumerOptions, deps: ConsumerDeps) {
    this.#deps = deps;
    this.#runner = new ConsumerRunner<ItemEvent, Indexed>({
      name: 'item-events consumer',
      kafka: deps.kafka,
      groupId: options.groupId,
      topics: [options.topic],
      dlqTopic: options.dlqTopic,
      fromBeginning: true,
      partitionsConsumedConcurrently: options.partitionConcurrency,
      maxBatchSize: options.bulkMaxDocs,
      decode: decodeItemEvent,
      handleBatch: (events) => this.#index(events),
      onSettled: (chunk) => this.#account(chunk),
      backoffMs,
      metrics: deps.metrics.consumer,
      log: deps.log,
    });
  }

  get state(): ConsumerState {
    return this.#runner.state;
  }

  /** Readiness: the group was joined and the consumer has not crashed since. */
  check(): void {
    this.#runner.check();
  }

  start(): Promise<void> {
    return this.#runner.start();
  }

  /** Starts in the background, `prepare` (ensuring the index) first, retrying until it works or `stop()`. */
  startInBackground(prepare: () => Promise<void>): Promise<void> {
    return this.#runner.startInBackground(prepare);
  }

  /** Leaves the group after the chunk in progress; a write being retried gives up without committing. */
  stop(): Promise<void> {
    return this.#runner.stop();
  }

  /** One attempt: build the documents, one bulk to every target. Throws when anything must be retried. */
  async #index(events: Decoded<ItemEvent>[]): Promise<BatchResult<Indexed>> {
    const { documents, lifecycle } = this.#deps;
    const deadLetters: DeadLetter[] = [];
    const ops = new Map<Decoded<ItemEvent>, WriteOp>();
    const upserts = events.filter((e) => e.value.type !== 'item.deleted');
    const built = await documents.fromSnapshots(upserts.map((e) => e.value.data));
    upserts.forEach((e, i) => {
      const b = built[i]!;
      if (b.ok) ops.set(e, { action: 'index', id: e.value.data.id, version: e.value.version, document: b.document });
      else deadLetters.push({ message: e.message, reason: b.reason, detail: b.message });
    });
    for (const e of events) {
      if (e.value.type === 'item.deleted') ops.set(e, { action: 'delete', id: e.value.data.id, version: e.value.version });
    }

    // Per item only the newest version in the chunk is sent; ES would refuse the older ones anyway.
    const newest = new Map<string, [Decoded<ItemEvent>, WriteOp]>();
    for (const [e, op] of ops) {
      const seen = newest.get(op.id);
      if (!seen || seen[1].version <= op.version) newest.set(op.id, [e, op]);
    }
    const writes = [...newest.values()];
    let outcomes;
    try {
      outcomes = await bulkWrite(lifecycle.es, writes.map(([, op]) => op), await lifecycle.targets(), { requestTimeoutMs: BULK_TIMEOUT_MS });
    } catch (err) {
      if (err instanceof RetryableWriteError && err.refreshTargets) lifecycle.invalidateTargets();
      throw err;
    }
    const ackedAt = Date.now();
    const result = new Map<string, Outcome>();
    writes.forEach(([e, op], i) => {
      const outcome = outcomes[i]!;
      if (outcome.kind === 'failed') deadLetters.push({ message: e.message, reason: 'index-error', detail: outcome.reason });
      else result.set(e.message.offset, outcome.kind === 'stale' ? 'stale' : op.action === 'index' ? 'indexed' : 'deleted');
    });
    return { deadLetters, result: { outcomes: result, ackedAt } };
  }

  /** Everything acknowledged (documents and dead letters): account for it. */
  #account({ handled, rejected, result }: SettledChunk<ItemEvent, Indexed>): void {
    const { metrics } = this.#deps;
    const dead = new Set(rejected.map((d) => d.message.offset));
    const decoded = new Set(handled.map((e) => e.message.offset));
    for (const d of rejected) {
      if (!decoded.has(d.message.offset)) metrics.consumed.inc({ type: 'invalid', outcome: 'dlq' });
    }
    for (const e of handled) {
      // superseded within the chunk counts as stale
      const outcome = dead.has(e.message.offset) ? 'dlq' : (result?.outcomes.get(e.message.offset) ?? 'stale');
      metrics.consumed.inc({ type: e.value.type, outcome });
      if ((outcome === 'indexed' || outcome === 'deleted') && result) {
        metrics.commitToIndexed.observe(Math.max(0, result.ackedAt - Date.parse(e.value.occurredAt)) / 1000);
      }
    }
  }
}

/**
 * The item-events consumer: batches from Kafka become one `_bulk` each (per BULK_MAX_DOCS chunk),
 * offsets are committed only after Elasticsearch (and the dead-letter topic, for bad events)
 * acknowledged, and a failed write is retried forever with backoff while the group membership is
 * kept alive with heartbeats. Nothing past an unwritten event is ever committed.
 */
import { decodeItemEvent, type ItemEvent } from '@shop/contracts';
import { withConsumerSpan, type Logger } from '@shop/kit';
import { Partitioners, type Consumer, type EachBatchPayload, type IHeaders, type Kafka, type KafkaMessage, type Message, type Producer } from 'kafkajs';
import type { IndexLifecycle } from '../index/lifecycle.ts';
import { sleep } from '../index/lifecycle.ts';
import type { EtlMetrics } from '../metrics.ts';
import { RetryableWriteError, bulkWrite, type WriteOp } from './bulk.ts';
import type { DocumentBuilder } from './documents.ts';

export type Log = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

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

type State = 'idle' | 'starting' | 'running' | 'restarting' | 'crashed' | 'stopping' | 'stopped';

/** One bulk attempt's time limit (then it is retried): below the session timeout. */
export const BULK_TIMEOUT_MS = 10_000;

/** Backoff of the write retries: 100 ms doubling to a 10 s cap. */
export const backoffMs = (attempt: number) => Math.min(100 * 2 ** attempt, 10_000);

interface Planned {
  message: KafkaMessage;
  type: string;
  event?: ItemEvent;
  op?: WriteOp;
  dlq?: { reason: string; detail: string };
  outcome?: 'indexed' | 'deleted' | 'stale' | 'dlq';
}

function classifyDecodeError(errors: string[]): string {
  const first = errors[0] ?? '';
  if (first.startsWith('empty message value')) return 'empty';
  if (first.startsWith('not JSON')) return 'invalid-json';
  return 'schema';
}

export class ItemEventsConsumer {
  readonly #options: ConsumerOptions;
  readonly #deps: ConsumerDeps;
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;
  #state: State = 'idle';
  #lastError: string | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartAttempt = 0;

  constructor(options: ConsumerOptions, deps: ConsumerDeps) {
    this.#options = options;
    this.#deps = deps;
  }

  get state(): State {
    return this.#state;
  }

  /** Readiness: the group was joined and the consumer has not crashed since. */
  check(): void {
    if (this.#state !== 'running') throw new Error(`consumer is ${this.#state}${this.#lastError ? ` (${this.#lastError})` : ''}`);
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#producer = this.#deps.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await this.#producer.connect();
      await this.#startConsumer();
    } catch (err) {
      await this.#consumer?.disconnect().catch(() => undefined);
      await this.#producer.disconnect().catch(() => undefined);
      this.#consumer = undefined;
      this.#state = 'idle';
      throw err;
    }
  }

  async #startConsumer(): Promise<void> {
    this.#state = 'starting';
    const { kafka, log } = this.#deps;
    const consumer = kafka.consumer({
      groupId: this.#options.groupId,
      // A killed member holds its partitions this long. Heartbeats go out between chunks and during
      // write retries; one attempt (one bulk, at most BULK_TIMEOUT_MS) stays well below it.
      sessionTimeout: 15_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 1_000,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.#consumer === consumer && (this.#state === 'starting' || this.#state === 'restarting')) {
        this.#state = 'running';
        this.#lastError = undefined;
        this.#restartAttempt = 0;
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#consumer !== consumer || this.#state === 'stopping' || this.#state === 'stopped') return;
      this.#lastError = payload.error.message;
      if (payload.restart) {
        // KafkaJS restarts the consumer itself (retriable error); ready again at the next group join.
        log.warn({ err: payload.error }, 'item-events consumer crashed; KafkaJS restarts it');
        this.#state = 'restarting';
        return;
      }
      log.error({ err: payload.error }, 'item-events consumer crashed for good; restarting it');
      this.#state = 'crashed';
      this.#scheduleRestart(consumer);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.#options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#options.partitionConcurrency,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
  }

  #scheduleRestart(old: Consumer): void {
    const delay = Math.min(1_000 * 2 ** this.#restartAttempt++, 30_000);
    this.#restartTimer = setTimeout(() => {
      void (async () => {
        await old.disconnect().catch(() => undefined);
        if (this.#state !== 'crashed') return;
        try {
          await this.#startConsumer();
        } catch (err) {
          this.#deps.log.error({ err }, 'could not restart the item-events consumer');
          this.#lastError = (err as Error).message;
          this.#state = 'crashed';
          this.#scheduleRestart(this.#consumer ?? old);
        }
      })();
    }, delay);
    this.#restartTimer.unref();
  }

  /** Leaves the group after the batch in progress (KafkaJS waits for it); a write being retried gives up without committing. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    clearTimeout(this.#restartTimer);
    await this.#consumer?.disconnect().catch((err: unknown) => this.#deps.log.warn({ err }, 'consumer disconnect failed'));
    await this.#producer?.disconnect().catch((err: unknown) => this.#deps.log.warn({ err }, 'producer disconnect failed'));
    this.#state = 'stopped';
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    this.#deps.metrics.batchSize.observe(batch.messages.length);
    const first = batch.messages[0]!;
    await withConsumerSpan(`${batch.topic} process`, first.headers, {
      'messaging.system': 'kafka',
      'messaging.destination.name': batch.topic,
      'messaging.kafka.partition': batch.partition,
      'messaging.kafka.offset': first.offset,
      'messaging.batch.message_count': batch.messages.length,
      'messaging.consumer.group.name': this.#options.groupId,
    }, async () => {
      for (let i = 0; i < batch.messages.length; i += this.#options.bulkMaxDocs) {
        const chunk = batch.messages.slice(i, i + this.#options.bulkMaxDocs);
        if (!isRunning() || isStale()) return;
        const done = await this.#processWithRetry(chunk, batch.topic, batch.partition, { heartbeat, isRunning, isStale });
        // Stopping or rebalanced mid-retry: nothing resolved, so this chunk is fetched again by whoever owns the partition.
        if (!done) return;
        for (const message of chunk) resolveOffset(message.offset);
        await commitOffsetsIfNecessary(uncommittedOffsets());
        await heartbeat();
      }
    });
  }

  async #processWithRetry(
    chunk: KafkaMessage[], topic: string, partition: number,
    control: Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale'>,
  ): Promise<boolean> {
    const { log, metrics, lifecycle } = this.#deps;
    for (let attempt = 0; ; attempt++) {
      const delay = backoffMs(attempt);
      try {
        await this.#process(chunk, topic, partition);
        if (attempt > 0) log.info({ topic, partition, attempts: attempt + 1 }, 'batch written after retries');
        return true;
      } catch (err) {
        if (err instanceof RetryableWriteError && err.refreshTargets) lifecycle.invalidateTargets();
        metrics.bulkRetries.inc();
        (attempt < 3 ? log.warn : log.error).call(log, { err, topic, partition, offset: chunk[0]?.offset, attempt, retryInMs: delay }, 'batch not written; retrying');
      }
      // Sleep in slices, heartbeating, so the group does not rebalance away a partition that is only waiting.
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (!control.isRunning() || control.isStale()) return false;
        try {
          await control.heartbeat();
        } catch (err) {
          log.warn({ err, topic, partition }, 'heartbeat failed while retrying (rebalance?): leaving the batch uncommitted');
          return false;
        }
        await sleep(Math.min(500, Math.max(0, until - Date.now())));
      }
      if (!control.isRunning() || control.isStale()) return false;
    }
  }

  /** One attempt: decode, build, one bulk to every target, dead letters. Throws when anything must be retried. */
  async #process(chunk: KafkaMessage[], topic: string, partition: number): Promise<void> {
    const { documents, lifecycle, metrics } = this.#deps;
    const planned: Planned[] = chunk.map((message) => {
      const decoded = decodeItemEvent(message.value);
      if (!decoded.ok) return { message, type: 'invalid', dlq: { reason: classifyDecodeError(decoded.errors), detail: decoded.errors.join('; ') } };
      return { message, type: decoded.value.type, event: decoded.value };
    });

    const upserts = planned.filter((p) => p.event && p.event.type !== 'item.deleted');
    const built = await documents.fromSnapshots(upserts.map((p) => p.event!.data));
    upserts.forEach((p, i) => {
      const b = built[i]!;
      if (b.ok) p.op = { action: 'index', id: p.event!.data.id, version: p.event!.version, document: b.document };
      else p.dlq = { reason: b.reason, detail: b.message };
    });
    for (const p of planned) {
      if (p.event?.type === 'item.deleted') p.op = { action: 'delete', id: p.event.data.id, version: p.event.version };
    }

    // Per item only the newest version in the chunk is sent; ES would refuse the older ones anyway.
    const newest = new Map<string, Planned>();
    for (const p of planned) {
      if (!p.op) continue;
      const seen = newest.get(p.op.id);
      if (!seen || seen.op!.version <= p.op.version) newest.set(p.op.id, p);
    }
    const writes = [...newest.values()];
    const targets = await lifecycle.targets();
    const outcomes = await bulkWrite(this.#deps.lifecycle.es, writes.map((p) => p.op!), targets, { requestTimeoutMs: BULK_TIMEOUT_MS });
    const ackedAt = Date.now();
    writes.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.kind === 'failed') p.dlq = { reason: 'index-error', detail: outcome.reason };
      else if (outcome.kind === 'stale') p.outcome = 'stale';
      else p.outcome = p.op!.action === 'index' ? 'indexed' : 'deleted';
    });

    const dead = planned.filter((p) => p.dlq);
    if (dead.length > 0) {
      await this.#producer!.send({
        topic: this.#options.dlqTopic,
        acks: -1,
        messages: dead.map((p): Message => ({
          key: p.message.key,
          value: p.message.value,
          headers: {
            ...(p.message.headers ?? {}),
            'x-dlq-reason': `${p.dlq!.reason}: ${p.dlq!.detail}`.slice(0, 1000),
            'x-original-topic': topic,
            'x-original-partition': String(partition),
            'x-original-offset': p.message.offset,
          } satisfies IHeaders,
        })),
      });
    }

    // Everything acknowledged: account for it.
    for (const p of planned) {
      const outcome = p.dlq ? 'dlq' : (p.outcome ?? 'stale'); // superseded within the chunk counts as stale
      metrics.consumed.inc({ type: p.type, outcome });
      if (p.dlq) metrics.dlq.inc({ reason: p.dlq.reason });
      if ((outcome === 'indexed' || outcome === 'deleted') && p.event) {
        metrics.commitToIndexed.observe(Math.max(0, ackedAt - Date.parse(p.event.occurredAt)) / 1000);
      }
    }
    if (dead.length > 0) this.#deps.log.warn({ topic, partition, count: dead.length, reasons: [...new Set(dead.map((p) => p.dlq!.reason))] }, 'events sent to the dead-letter topic');
  }
}

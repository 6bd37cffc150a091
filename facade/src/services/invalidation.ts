/**
 * Event-driven invalidation of product pages: one consumer group (`facade`) on `item-events` and
 * `comment-events`. Each batch's item ids are invalidated in Redis (page deleted, generation bumped)
 * and only then are the offsets committed. While Redis is down the same batch is retried with
 * backoff (100 ms doubling to 5 s), heartbeating, so no invalidation is lost; the page TTL bounds
 * staleness only if the consumer itself is down longer than that.
 */
import { validateCommentEvent, validateItemEvent } from '@shop/contracts';
import { withConsumerSpan } from '@shop/kit';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Log } from '../log.ts';
import type { FacadeMetrics } from '../metrics.ts';
import type { PageCache } from '../repositories/page-cache.ts';

export interface InvalidationOptions {
  groupId: string;
  itemTopic: string;
  commentTopic: string;
}

type State = 'idle' | 'starting' | 'running' | 'restarting' | 'crashed' | 'stopping' | 'stopped';

export const invalidationBackoffMs = (attempt: number) => Math.min(100 * 2 ** attempt, 5_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

export class InvalidationConsumer {
  readonly #options: InvalidationOptions;
  readonly #kafka: Kafka;
  readonly #cache: PageCache;
  readonly #metrics: FacadeMetrics;
  readonly #log: Log;
  #consumer: Consumer | undefined;
  #state: State = 'idle';
  #fetched = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartAttempt = 0;

  constructor(options: InvalidationOptions, deps: { kafka: Kafka; cache: PageCache; metrics: FacadeMetrics; log: Log }) {
    this.#options = options;
    this.#kafka = deps.kafka;
    this.#cache = deps.cache;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
  }

  get groupId(): string {
    return this.#options.groupId;
  }

  get state(): State {
    return this.#state;
  }

  /** In the group and has fetched at least once (its start offsets are fixed): events from now on are seen. */
  get ready(): boolean {
    return this.#state === 'running' && this.#fetched;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    try {
      await this.#startConsumer();
    } catch (err) {
      await this.#consumer?.disconnect().catch(() => undefined);
      this.#consumer = undefined;
      this.#state = 'idle';
      throw err;
    }
  }

  async #startConsumer(): Promise<void> {
    this.#state = 'starting';
    this.#fetched = false;
    const consumer = this.#kafka.consumer({
      groupId: this.#options.groupId,
      sessionTimeout: 15_000,
      rebalanceTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 500,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.#consumer === consumer && (this.#state === 'starting' || this.#state === 'restarting')) {
        this.#state = 'running';
        this.#restartAttempt = 0;
        this.#metrics.consumerUp.set(1);
      }
    });
    consumer.on(consumer.events.FETCH, () => {
      if (this.#consumer === consumer) this.#fetched = true;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#consumer !== consumer || this.#state === 'stopping' || this.#state === 'stopped') return;
      this.#metrics.consumerUp.set(0);
      if (payload.restart) {
        this.#log.warn({ err: payload.error }, 'invalidation consumer crashed; KafkaJS restarts it');
        this.#state = 'restarting';
        return;
      }
      this.#log.error({ err: payload.error }, 'invalidation consumer crashed for good; restarting it');
      this.#state = 'crashed';
      this.#scheduleRestart(consumer);
    });
    await consumer.connect();
    // A new group starts at the end: pages cached before it existed expire by their TTL. An existing
    // group resumes where it committed, so invalidations published while the facade was down still apply.
    await consumer.subscribe({ topics: [this.#options.itemTopic, this.#options.commentTopic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
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
          this.#log.error({ err }, 'could not restart the invalidation consumer');
          this.#state = 'crashed';
          this.#scheduleRestart(this.#consumer ?? old);
        }
      })();
    }, delay);
    this.#restartTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    clearTimeout(this.#restartTimer);
    await this.#consumer?.disconnect().catch((err: unknown) => this.#log.warn({ err }, 'invalidation consumer disconnect failed'));
    this.#metrics.consumerUp.set(0);
    this.#state = 'stopped';
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const first = batch.messages[0]!;
    const last = batch.messages[batch.messages.length - 1]!;
    await withConsumerSpan(`${batch.topic} process`, first.headers, {
      'messaging.system': 'kafka',
      'messaging.destination.name': batch.topic,
      'messaging.kafka.partition': batch.partition,
      'messaging.kafka.offset': first.offset,
      'messaging.batch.message_count': batch.messages.length,
      'messaging.consumer.group.name': this.#options.groupId,
    }, async () => {
      const ids = new Set<string>();
      let skipped = 0;
      for (const message of batch.messages) {
        const id = itemIdOf(batch.topic, this.#options.itemTopic, message);
        if (id) ids.add(id);
        else skipped++;
      }
      if (skipped) {
        this.#metrics.invalidationSkipped.inc({ topic: batch.topic }, skipped);
        this.#log.warn({ topic: batch.topic, partition: batch.partition, skipped }, 'events without an item id skipped');
      }
      for (let attempt = 0; ; attempt++) {
        if (!isRunning() || isStale()) return; // uncommitted: fetched again by whoever owns the partition
        try {
          await this.#cache.invalidate([...ids]);
          break;
        } catch (err) {
          const delay = invalidationBackoffMs(attempt);
          this.#metrics.invalidationRetries.inc();
          (attempt < 3 ? this.#log.warn : this.#log.error).call(this.#log, { err, topic: batch.topic, partition: batch.partition, attempt, retryInMs: delay }, 'invalidation failed; retrying');
          const until = Date.now() + delay;
          while (Date.now() < until) {
            if (!isRunning() || isStale()) return;
            try {
              await heartbeat();
            } catch (hbErr) {
              this.#log.warn({ err: hbErr }, 'heartbeat failed while retrying (rebalance?): leaving the batch uncommitted');
              return;
            }
            await sleep(Math.min(500, Math.max(0, until - Date.now())));
          }
        }
      }
      this.#metrics.invalidations.inc({ topic: batch.topic }, ids.size);
      resolveOffset(last.offset);
      await commitOffsetsIfNecessary(uncommittedOffsets());
      await heartbeat();
    });
  }
}

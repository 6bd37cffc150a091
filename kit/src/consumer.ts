/**
 * The consumer loop every service uses (see kit/README.md). A service gives a contract decoder and a
 * handler (per message, or per batch of up to `maxBatchSize` messages); the runner:
 *
 * - decodes every message; what does not decode goes to the dead-letter topic with its original
 *   key, bytes and headers plus `x-dlq-reason` and `x-original-topic|partition|offset` (without a
 *   dead-letter topic it is skipped, logged and counted); a handler may dead-letter messages too;
 * - commits offsets only after the handler succeeded and the dead letters were acknowledged;
 * - retries a failed chunk forever with backoff, heartbeating while it waits, so the group keeps
 *   the partition (a rebalance or stop leaves the chunk uncommitted for the next owner);
 * - restarts a consumer that crashed for good, exposes its state for readiness, measures lag;
 * - stops gracefully (leaves the group after the chunk in flight).
 */
import type { Validation } from '@shop/contracts';
import { Partitioners, type Admin, type Consumer, type ConsumerConfig, type EachBatchPayload, type IHeaders, type Kafka, type KafkaMessage, type Message, type Producer } from 'kafkajs';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { withConsumerSpan } from './tracing.ts';

export type ConsumerLog = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
export type ConsumerState = 'idle' | 'starting' | 'running' | 'restarting' | 'crashed' | 'stopping' | 'stopped';

/**
 * The contract's decoder of a message value (`decodeItemEvent` fits as is). A refusal's first error
 * names the dead-letter reason: `empty` (no value), `invalid-json` ("not JSON…"), else `schema`.
 */
export type MessageDecoder<T> = (value: Buffer | null, message: KafkaMessage, topic: string) => Validation<T>;

/** A message that decoded, with where it came from. */
export interface Decoded<T> {
  value: T;
  message: KafkaMessage;
  topic: string;
  partition: number;
}

/** Why a message is not used: `reason` is a short label (metrics), `detail` the explanation. */
export interface Rejection {
  reason: string;
  detail: string;
}

export interface DeadLetter extends Rejection {
  message: KafkaMessage;
}

export interface HandlerContext {
  topic: string;
  partition: number;
  /** 0 on the first try of this chunk. */
  attempt: number;
  /** Keeps the group membership during a long handler. */
  heartbeat(): Promise<void>;
}

/** What a batch handler answers (nothing: every message was used). */
export interface BatchResult<R = unknown> {
  /** Decoded messages the handler refuses: dead-lettered with the decoder's refusals, before the commit. */
  deadLetters?: DeadLetter[];
  /** Passed on to `onSettled`. */
  result?: R;
}

/** A chunk whose effects and dead letters were acknowledged; its offsets are committed next. */
export interface SettledChunk<T, R> {
  topic: string;
  partition: number;
  handled: Decoded<T>[];
  /** Dead-lettered (or skipped, without a dead-letter topic): refused by the decoder or the handler. */
  rejected: DeadLetter[];
  /** The handler's `result` of its successful attempt. */
  result: R | undefined;
  attempts: number;
}

/** Heartbeat and fetch settings (KafkaJS consumer config) with this loop's defaults. */
export type GroupSettings = Pick<ConsumerConfig, 'sessionTimeout' | 'rebalanceTimeout' | 'heartbeatInterval' | 'maxWaitTimeInMs' | 'maxBytesPerPartition'>;

export interface ConsumerRunnerOptions<T, R = unknown> {
  /** For logs: what this consumer is (`item-events consumer`). */
  name: string;
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /** Where a new group starts: true (default) the beginning, false the end. */
  fromBeginning?: boolean;
  decode: MessageDecoder<T>;
  /** Per message (each one committed after its own success) ... */
  handleMessage?: (message: Decoded<T>, ctx: HandlerContext) => Promise<Rejection | void>;
  /** ... or per batch: up to `maxBatchSize` decoded messages of one partition, in offset order. */
  handleBatch?: (messages: Decoded<T>[], ctx: HandlerContext) => Promise<BatchResult<R> | void>;
  /** Chunk size for `handleBatch`; default: the whole fetched batch. */
  maxBatchSize?: number;
  /** Runs once per chunk after everything was acknowledged, before the commit (account for outcomes here). */
  onSettled?: (chunk: SettledChunk<T, R>) => void;
  /** Dead-letter topic; without one, refused messages are skipped (logged and counted in `skipped`). */
  dlqTopic?: string;
  /** Partitions handled at the same time (each stays in order). Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Wait before retry `attempt` (0-based). Default `exponentialBackoff(100, 10_000)`. */
  backoffMs?: (attempt: number) => number;
  /** Defaults: session 15 s, rebalance 60 s, heartbeat 3 s, max wait 1 s. Keep one handler attempt well below the session timeout. */
  group?: GroupSettings;
  /** Series to report to (`consumerMetrics`); none: no metrics and no lag measurement. */
  metrics?: ConsumerMetrics;
  /** How often the lag is measured (with `metrics`). Default 5 s. */
  lagIntervalMs?: number;
  log: ConsumerLog;
}

/** `initialMs` doubling per attempt up to `maxMs`. */
export const exponentialBackoff = (initialMs: number, maxMs: number) => (attempt: number): number => Math.min(initialMs * 2 ** attempt, maxMs);

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(timer);
    resolve();
  }, { once: true });
});

/** The dead-letter reason of a decoder refusal. */
export function decodeRejection(errors: string[]): Rejection {
  const first = errors[0] ?? '';
  const reason = first.startsWith('empty message value') ? 'empty' : first.startsWith('not JSON') ? 'invalid-json' : 'schema';
  return { reason, detail: errors.join('; ') };
}

// ------------------------------------------------------------------ metrics

export interface ConsumerMetrics {
  lag: ReturnType<Metrics['gauge']>;
  batchSize: ReturnType<Metrics['histogram']>;
  dlq: ReturnType<Metrics['counter']>;
  skipped: ReturnType<Metrics['counter']>;
  retries: ReturnType<Metrics['counter']>;
  up: ReturnType<Metrics['gauge']>;
}

export interface ConsumerMetricNames {
  lag: string;
  batchSize: string;
  dlq: string;
  skipped: string;
  retries: string;
  up: string;
}

const consumerMetricsByRegistry = new WeakMap<Metrics, Map<string, ConsumerMetrics>>();

/**
 * A pipeline's series, named `<prefix>_consumer_lag{topic,partition}`, `<prefix>_batch_size`,
 * `<prefix>_dlq_total{reason}`, `<prefix>_skipped_total{topic,reason}`, `<prefix>_retries_total`,
 * `<prefix>_consumer_up` (any name can be overridden to keep an existing one); every series also
 * carries `group` (the consumer group). Created once per registry and prefix.
 */
export function consumerMetrics(metrics: Metrics, prefix: string, names: Partial<ConsumerMetricNames> = {}): ConsumerMetrics {
  const byPrefix = consumerMetricsByRegistry.get(metrics) ?? new Map<string, ConsumerMetrics>();
  consumerMetricsByRegistry.set(metrics, byPrefix);
  const existing = byPrefix.get(prefix);
  if (existing) return existing;
  const n: ConsumerMetricNames = {
    lag: `${prefix}_consumer_lag`, batchSize: `${prefix}_batch_size`, dlq: `${prefix}_dlq_total`,
    skipped: `${prefix}_skipped_total`, retries: `${prefix}_retries_total`, up: `${prefix}_consumer_up`, ...names,
  };
  const created: ConsumerMetrics = {
    lag: metrics.gauge({ name: n.lag, help: 'Per partition: high watermark minus the committed offset of the consumer group', labelNames: ['topic', 'partition', 'group'] as const }),
    batchSize: metrics.histogram({
      name: n.batchSize, help: 'Messages per Kafka batch handed to the consumer', labelNames: ['group'] as const,
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    }),
    dlq: metrics.counter({ name: n.dlq, help: 'Messages sent to the dead-letter topic, by reason', labelNames: ['reason', 'group'] as const }),
    skipped: metrics.counter({ name: n.skipped, help: 'Refused messages committed without effect (no dead-letter topic), by topic and reason', labelNames: ['topic', 'reason', 'group'] as const }),
    retries: metrics.counter({ name: n.retries, help: 'Chunks retried after a failed handler or dead-letter send', labelNames: ['group'] as const }),
    up: metrics.gauge({ name: n.up, help: '1 while the consumer is in its group, 0 otherwise', labelNames: ['group'] as const }),
  };
  byPrefix.set(prefix, created);
  return created;
}

// ------------------------------------------------------------------ the runner

export class ConsumerRunner<T, R = unknown> {
  readonly #o: ConsumerRunnerOptions<T, R>;
  readonly #backoff: (attempt: number) => number;
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;
  #admin: Admin | undefined;
  #state: ConsumerState = 'idle';
  #lastError: string | undefined;
  #fetched = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartAttempt = 0;
  #lagTimer: NodeJS.Timeout | undefined;
  #lagRound: Promise<void> | undefined;
  #background: Promise<void> | undefined;
  readonly #stopping = new AbortController();

  constructor(options: ConsumerRunnerOptions<T, R>) {
    if (!options.handleBatch === !options.handleMessage) throw new Error(`${options.name}: give exactly one of handleMessage and handleBatch`);
    this.#o = options;
    this.#backoff = options.backoffMs ?? exponentialBackoff(100, 10_000);
  }

  get groupId(): string {
    return this.#o.groupId;
  }

  get state(): ConsumerState {
    return this.#state;
  }

  /** In the group and has fetched at least once (its start offsets are fixed): messages from now on are seen. */
  get ready(): boolean {
    return this.#state === 'running' && this.#fetched;
  }

  /** Readiness: the group was joined and the consumer has not crashed since. */
  check(): void {
    if (this.#state !== 'running') throw new Error(`consumer is ${this.#state}${this.#lastError ? ` (${this.#lastError})` : ''}`);
  }

  /** Connects, joins the group and starts consuming; throws (and is idle again) when Kafka cannot be reached. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    if (this.#o.dlqTopic) {
      this.#producer = this.#o.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    }
    try {
      await this.#producer?.connect();
      await this.#startConsumer();
    } catch (err) {
      await this.#consumer?.disconnect().catch(() => undefined);
      await this.#producer?.disconnect().catch(() => undefined);
      this.#consumer = undefined;
      this.#state = 'idle';
      throw err;
    }
    this.#startLag();
  }

  /**
   * Starts without blocking the caller: `prepare` (e.g. ensuring an index) and `start()` are retried
   * with backoff (0.5 s doubling to 15 s) until they succeed or `stop()` is called. Readiness says
   * when it consumes.
   */
  startInBackground(prepare?: () => Promise<void>): Promise<void> {
    this.#background ??= (async () => {
      const signal = this.#stopping.signal;
      for (let attempt = 0; !signal.aborted; attempt++) {
        try {
          await prepare?.();
          if (signal.aborted) return;
          await this.start();
          this.#o.log.info({ groupId: this.#o.groupId, topics: this.#o.topics }, `${this.#o.name} started`);
          return;
        } catch (err) {
          this.#o.log.error({ err, attempt }, `could not start the ${this.#o.name}; retrying`);
          await sleep(Math.min(500 * 2 ** attempt, 15_000), signal);
        }
      }
    })();
    return this.#background;
  }

  async #startConsumer(): Promise<void> {
    this.#state = 'starting';
    this.#fetched = false;
    const { kafka, log, groupId, metrics, name } = this.#o;
    const consumer = kafka.consumer({
      groupId,
      // A killed member holds its partitions this long. Heartbeats go out between chunks and during
      // retries; one handler attempt must stay well below it.
      sessionTimeout: 15_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 1_000,
      ...this.#o.group,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.#consumer === consumer && (this.#state === 'starting' || this.#state === 'restarting')) {
        this.#state = 'running';
        this.#lastError = undefined;
        this.#restartAttempt = 0;
        metrics?.up.set({ group: groupId }, 1);
      }
    });
    consumer.on(consumer.events.FETCH, () => {
      if (this.#consumer === consumer) this.#fetched = true;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#consumer !== consumer || this.#state === 'stopping' || this.#state === 'stopped') return;
      this.#lastError = payload.error.message;
      metrics?.up.set({ group: groupId }, 0);
      if (payload.restart) {
        // KafkaJS restarts the consumer itself (retriable error); ready again at the next group join.
        log.warn({ err: payload.error }, `${name} crashed; KafkaJS restarts it`);
        this.#state = 'restarting';
        return;
      }
      log.error({ err: payload.error }, `${name} crashed for good; restarting it`);
      this.#state = 'crashed';
      this.#scheduleRestart(consumer);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.#o.topics, fromBeginning: this.#o.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.partitionsConsumedConcurrently ?? 1,
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
          this.#o.log.error({ err }, `could not restart the ${this.#o.name}`);
          this.#lastError = (err as Error).message;
          this.#state = 'crashed';
          this.#scheduleRestart(this.#consumer ?? old);
        }
      })();
    }, delay);
    this.#restartTimer.unref();
  }

  /** Leaves the group after the chunk in progress (KafkaJS waits for it); a chunk being retried gives up without committing. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#stopping.abort();
    await this.#background;
    this.#state = 'stopping';
    clearTimeout(this.#restartTimer);
    clearInterval(this.#lagTimer);
    await this.#lagRound;
    const log = this.#o.log;
    await this.#consumer?.disconnect().catch((err: unknown) => log.warn({ err }, `${this.#o.name}: consumer disconnect failed`));
    await this.#producer?.disconnect().catch((err: unknown) => log.warn({ err }, `${this.#o.name}: dead-letter producer disconnect failed`));
    await this.#admin?.disconnect().catch(() => undefined);
    this.#o.metrics?.up.set({ group: this.#o.groupId }, 0);
    this.#state = 'stopped';
  }

  // ---------------------------------------------------------------- lag

  #startLag(): void {
    if (!this.#o.metrics || this.#lagTimer) return;
    this.#lagTimer = setInterval(() => {
      this.#lagRound ??= this.measureLag()
        .then(() => undefined, (err: unknown) => this.#o.log.debug({ err }, 'consumer lag not measured'))
        .finally(() => {
          this.#lagRound = undefined;
        });
    }, this.#o.lagIntervalMs ?? 5_000);
    this.#lagTimer.unref();
  }

  /**
   * Per topic and partition: the high watermark minus the group's committed offset (the whole
   * retained partition while the group has committed nothing); also published to `lag`.
   */
  async measureLag(): Promise<Map<string, Map<number, number>>> {
    if (!this.#admin) {
      const admin = this.#o.kafka.admin({ retry: { retries: 0 } });
      await admin.connect();
      this.#admin = admin;
    }
    const { groupId, topics, metrics } = this.#o;
    const committed = await this.#admin.fetchOffsets({ groupId, topics });
    const result = new Map<string, Map<number, number>>();
    for (const topic of topics) {
      const high = await this.#admin.fetchTopicOffsets(topic);
      const committedBy = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      const lag = new Map<number, number>();
      for (const p of high) {
        const done = committedBy.get(p.partition) ?? -1;
        const value = Math.max(0, Number(p.high) - (done >= 0 ? done : Number(p.low)));
        lag.set(p.partition, value);
        metrics?.lag.set({ topic, partition: String(p.partition), group: groupId }, value);
      }
      result.set(topic, lag);
    }
    return result;
  }

  // ---------------------------------------------------------------- the loop

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    this.#o.metrics?.batchSize.observe({ group: this.#o.groupId }, batch.messages.length);
    const first = batch.messages[0]!;
    const size = this.#o.handleMessage ? 1 : (this.#o.maxBatchSize ?? batch.messages.length);
    await withConsumerSpan(`${batch.topic} process`, first.headers, {
      'messaging.system': 'kafka',
      'messaging.destination.name': batch.topic,
      'messaging.kafka.partition': batch.partition,
      'messaging.kafka.offset': first.offset,
      'messaging.batch.message_count': batch.messages.length,
      'messaging.consumer.group.name': this.#o.groupId,
    }, async () => {
      for (let i = 0; i < batch.messages.length; i += size) {
        const chunk = batch.messages.slice(i, i + size);
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
    const { log, metrics, groupId } = this.#o;
    const handled: Decoded<T>[] = [];
    const refused: DeadLetter[] = [];
    for (const message of chunk) {
      let decoded: Validation<T>;
      try {
        decoded = this.#o.decode(message.value, message, topic);
      } catch (err) {
        // A decoder that throws on some bytes would otherwise crash the consumer on them again and again.
        refused.push({ message, reason: 'decode-error', detail: (err as Error).message ?? String(err) });
        continue;
      }
      if (decoded.ok) handled.push({ value: decoded.value, message, topic, partition });
      else refused.push({ message, ...decodeRejection(decoded.errors) });
    }
    for (let attempt = 0; ; attempt++) {
      const delay = this.#backoff(attempt);
      try {
        const ctx: HandlerContext = { topic, partition, attempt, heartbeat: control.heartbeat };
        const { deadLetters, result } = await this.#handle(handled, ctx);
        const rejected = [...refused, ...deadLetters];
        await this.#sendDeadLetters(rejected, topic, partition);
        this.#o.onSettled?.({ topic, partition, handled, rejected, result, attempts: attempt + 1 });
        if (attempt > 0) log.info({ topic, partition, attempts: attempt + 1 }, 'chunk handled after retries');
        return true;
      } catch (err) {
        metrics?.retries.inc({ group: groupId });
        (attempt < 3 ? log.warn : log.error).call(log, { err, topic, partition, offset: chunk[0]?.offset, attempt, retryInMs: delay }, 'chunk not handled; retrying');
      }
      // Sleep in slices, heartbeating, so the group does not rebalance away a partition that is only waiting.
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (!control.isRunning() || control.isStale()) return false;
        try {
          await control.heartbeat();
        } catch (err) {
          log.warn({ err, topic, partition }, 'heartbeat failed while retrying (rebalance?): leaving the chunk uncommitted');
          return false;
        }
        await sleep(Math.min(500, Math.max(0, until - Date.now())));
      }
      if (!control.isRunning() || control.isStale()) return false;
    }
  }

  async #handle(handled: Decoded<T>[], ctx: HandlerContext): Promise<{ deadLetters: DeadLetter[]; result: R | undefined }> {
    if (handled.length === 0) return { deadLetters: [], result: undefined };
    if (this.#o.handleBatch) {
      const answer = await this.#o.handleBatch(handled, ctx);
      return { deadLetters: answer?.deadLetters ?? [], result: answer?.result };
    }
    const deadLetters: DeadLetter[] = [];
    for (const decoded of handled) {
      const rejection = await this.#o.handleMessage!(decoded, ctx);
      if (rejection) deadLetters.push({ message: decoded.message, ...rejection });
    }
    return { deadLetters, result: undefined };
  }

  async #sendDeadLetters(rejected: DeadLetter[], topic: string, partition: number): Promise<void> {
    if (rejected.length === 0) return;
    const { dlqTopic, metrics, groupId, log } = this.#o;
    const reasons = [...new Set(rejected.map((d) => d.reason))];
    if (!dlqTopic) {
      for (const d of rejected) metrics?.skipped.inc({ topic, reason: d.reason, group: groupId });
      log.warn({ topic, partition, count: rejected.length, reasons }, 'refused messages skipped (no dead-letter topic)');
      return;
    }
    await this.#producer!.send({
      topic: dlqTopic,
      acks: -1,
      messages: rejected.map((d): Message => ({
        key: d.message.key,
        value: d.message.value,
        headers: {
          ...(d.message.headers ?? {}),
          'x-dlq-reason': `${d.reason}: ${d.detail}`.slice(0, 1000),
          'x-original-topic': topic,
          'x-original-partition': String(partition),
          'x-original-offset': d.message.offset,
        } satisfies IHeaders,
      })),
    });
    for (const d of rejected) metrics?.dlq.inc({ reason: d.reason, group: groupId });
    log.warn({ topic, partition, count: rejected.length, reasons }, 'messages sent to the dead-letter topic');
  }
}

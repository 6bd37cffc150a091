import pg from 'pg';
import type { Metrics } from '@shop/kit';
import { OUTBOX_CHANNEL, type OutboxStore, type PendingRow } from '../repositories/outbox.ts';

/** What the relay needs from a Kafka producer (KafkaJS `Producer` fits). */
export interface RelayProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendBatch(batch: {
    topicMessages: { topic: string; messages: { key: string; value: Buffer; headers: Record<string, string> }[] }[];
    acks: number;
  }): Promise<unknown>;
}

export interface RelayMetrics {
  published: ReturnType<Metrics['counter']>;
  failures: ReturnType<Metrics['counter']>;
  pending: ReturnType<Metrics['gauge']>;
  delay: ReturnType<Metrics['histogram']>;
}

export function relayMetrics(metrics: Metrics): RelayMetrics {
  return {
    published: metrics.counter({ name: 'outbox_published_total', help: 'Outbox rows published to Kafka and marked published' }),
    failures: metrics.counter({ name: 'outbox_publish_failures_total', help: 'Outbox rows whose publish round failed (each retry counts)' }),
    pending: metrics.gauge({ name: 'outbox_pending', help: 'Outbox rows not yet published (updated every relay round)' }),
    delay: metrics.histogram({
      name: 'outbox_publish_delay_seconds', help: 'From the outbox row written (commit) to Kafka acknowledging it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
  };
}

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RelayHooks {
  /** Runs after Kafka acknowledged a batch and before the rows are marked: a throw here is a crash at the worst moment. */
  afterSend?(rows: PendingRow[]): Promise<void> | void;
}

export interface RelayOptions {
  store: OutboxStore;
  producer: RelayProducer;
  /** Where the relay LISTENs for commits; no connection string: polling only. */
  listenConnectionString?: string;
  log: Log;
  metrics: RelayMetrics;
  batchSize: number;
  pollMs: number;
  maxBackoffMs?: number;
  /** Published rows older than this are deleted (checked at start and every hour). */
  retentionDays?: number;
  hooks?: RelayHooks;
}

export type RoundResult = { status: 'locked' } | { status: 'idle' } | { status: 'published'; count: number };

const ACKS_ALL = -1;
const HOUR_MS = 3_600_000;

/**
 * The transactional-outbox relay. Each round, in one transaction holding a cluster-wide advisory lock:
 * claim the oldest unpublished rows (FOR UPDATE SKIP LOCKED), send them in id order as one batch with
 * an idempotent producer waiting for all in-sync replicas, then mark them published and commit.
 * A crash anywhere before the commit leaves the rows unpublished, so they are sent again: duplicates
 * are possible, gaps are not (consumers are idempotent by item version).
 */
export class OutboxRelay {
  readonly #o: RelayOptions & { maxBackoffMs: number; retentionDays: number };
  #running = false;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #producerConnected = false;
  #listener: pg.Client | undefined;
  #listenRetry: NodeJS.Timeout | undefined;
  #cleanup: NodeJS.Timeout | undefined;
  #wakeRequested = false;
  #wake: (() => void) | undefined;
  #round: Promise<RoundResult> | undefined;

  constructor(options: RelayOptions) {
    this.#o = { maxBackoffMs: 5_000, retentionDays: 7, ...options };
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts listening and relaying in the background (a broker or database that is down is retried). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopping = false;
    if (this.#o.listenConnectionString) void this.#listen();
    this.#cleanup = setInterval(() => void this.#deleteOld(), HOUR_MS);
    this.#cleanup.unref();
    void this.#deleteOld();
    this.#loop = this.#run();
  }

  /** Stops after the round in flight (if any) has finished; then disconnects. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    clearInterval(this.#cleanup);
    clearTimeout(this.#listenRetry);
    await this.#loop;
    await this.#round?.catch(() => undefined);
    this.#running = false;
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
    if (this.#producerConnected) {
      this.#producerConnected = false;
      await this.#o.producer.disconnect().catch(() => undefined);
    }
  }

  /** Asks the loop for a round now (what a NOTIFY does). */
  poke(): void {
    this.#wakeRequested = true;
    this.#wake?.();
  }

  /** One round (rounds never overlap within an instance; across instances the advisory lock serializes them). */
  async runOnce(): Promise<RoundResult> {
    while (this.#round) await this.#round.catch(() => undefined);
    this.#round = this.#roundOnce().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  async #roundOnce(): Promise<RoundResult> {
    const { store, producer, metrics, batchSize, hooks } = this.#o;
    if (!this.#producerConnected) {
      await producer.connect();
      this.#producerConnected = true;
    }
    const tx = await store.begin();
    if (!tx) {
      await this.#updateBacklog();
      return { status: 'locked' };
    }
    let rows: PendingRow[] = [];
    try {
      rows = await tx.claim(batchSize);
      if (rows.length === 0) {
        await tx.commit();
        metrics.pending.set(0);
        return { status: 'idle' };
      }
      await producer.sendBatch({ topicMessages: groupByTopic(rows), acks: ACKS_ALL });
      const acknowledgedAt = Date.now();
      await hooks?.afterSend?.(rows);
      await tx.markPublished(rows.map((r) => r.id));
      await tx.commit();
      metrics.published.inc(rows.length);
      for (const row of rows) metrics.delay.observe(Math.max(0, acknowledgedAt - row.createdAt.getTime()) / 1000);
    } catch (err) {
      await tx.rollback();
      if (rows.length > 0) {
        metrics.failures.inc(rows.length);
        await store.recordFailure(rows.map((r) => r.id), (err as Error).message ?? String(err)).catch(() => undefined);
      }
      throw err;
    }
    await this.#updateBacklog();
    return { status: 'published', count: rows.length };
  }

  async #updateBacklog(): Promise<void> {
    try {
      this.#o.metrics.pending.set((await this.#o.store.backlog()).pending);
    } catch {
      // the gauge keeps its last value; the next round tries again
    }
  }

  async #run(): Promise<void> {
    const { log, batchSize, pollMs, maxBackoffMs } = this.#o;
    let failures = 0;
    while (!this.#stopping) {
      let result: RoundResult;
      try {
        result = await this.runOnce();
      } catch (err) {
        failures += 1;
        const delay = Math.min(maxBackoffMs, 100 * 2 ** (failures - 1));
        log.warn({ err, failures, retryInMs: delay }, 'outbox relay round failed; rows stay unpublished and are retried');
        if (this.#producerConnected && failures % 5 === 0) {
          // a long outage: start over with a fresh connection (and producer id)
          this.#producerConnected = false;
          await this.#o.producer.disconnect().catch(() => undefined);
        }
        await this.#sleep(delay, false);
        continue;
      }
      if (failures > 0) log.info({ failures }, 'outbox relay recovered');
      failures = 0;
      if (result.status === 'published' && result.count >= batchSize) continue; // more are waiting
      await this.#sleep(pollMs, true);
    }
  }

  /** Waits `ms`; a NOTIFY (when `wakeable`) or stop() ends the wait early. */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    if (wakeable && this.#wakeRequested) {
      this.#wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#wakeRequested = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = () => {
        if (wakeable || this.#stopping) done();
      };
    });
  }

  async #listen(): Promise<void> {
    if (this.#stopping || !this.#o.listenConnectionString) return;
    const client = new pg.Client({ connectionString: this.#o.listenConnectionString, connectionTimeoutMillis: 3_000, keepAlive: true });
    const retry = (err: unknown) => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      client.end().catch(() => undefined);
      if (this.#stopping) return;
      this.#o.log.warn({ err }, 'outbox LISTEN connection lost; polling meanwhile, reconnecting');
      this.#listenRetry = setTimeout(() => void this.#listen(), 1_000);
    };
    this.#listener = client;
    client.on('notification', () => this.poke());
    client.on('error', retry);
    client.on('end', () => retry(new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.poke(); // anything committed while we were not listening
    } catch (err) {
      retry(err);
    }
  }

  async #deleteOld(): Promise<void> {
    try {
      const deleted = await this.#o.store.deletePublishedBefore(this.#o.retentionDays);
      if (deleted > 0) this.#o.log.info({ deleted }, 'deleted old published outbox rows');
    } catch (err) {
      this.#o.log.warn({ err }, 'could not delete old outbox rows');
    }
  }
}

/** One entry per topic, rows in id order (so one item's events keep their order in its partition). */
function groupByTopic(rows: PendingRow[]) {
  const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
  for (const row of rows) {
    const messages = byTopic.get(row.topic) ?? [];
    messages.push({ key: row.key, value: Buffer.from(row.payload), headers: row.headers });
    byTopic.set(row.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

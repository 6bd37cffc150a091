/**
 * The transactional outbox, for every service that publishes events (see kit/README.md):
 *
 * - the table (`outboxTableSql`, `outboxPrismaModel`): one per service database, added by the
 *   service's own migration;
 * - `OutboxWriter`: writes rows inside the caller's transaction (a Prisma interactive transaction or
 *   a pg client inside BEGIN) and notifies the relay, delivered only if that transaction commits;
 * - `OutboxRelay` on an `OutboxStore`: publishes unpublished rows to Kafka in id order and marks
 *   them only after Kafka acknowledged them (at least once, never a gap), one round at a time across
 *   all instances (an advisory lock whose key is per table), woken by LISTEN/NOTIFY with a poll as
 *   the fallback, with metrics, retention cleanup and a crash hook for tests;
 * - `outboxRelayPlugin`: the relay run from `onReady` to `onClose` with a readiness check.
 */
import fp from 'fastify-plugin';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import type { Metrics } from './metrics.ts';
import { endProducerSpans, injectTraceHeaders, startProducerSpan } from './tracing.ts';

// ------------------------------------------------------------------ the table

/** Where a service keeps its outbox: the table, the NOTIFY channel and the relay's advisory lock. */
export interface OutboxTableOptions {
  /** Table name, optionally schema-qualified (`outbox`, `events.outbox`). Default `outbox`. */
  table?: string;
  /** The channel writers NOTIFY and the relay LISTENs on. Default: the table name. */
  channel?: string;
  /**
   * The name of the cluster-wide advisory lock one relay round holds (`hashtext(lockKey)`).
   * Default `outbox-relay:<table>`: relays of different tables (services sharing a database or a
   * cluster) never wait for each other; the instances of one service share it.
   */
  lockKey?: string;
}

interface ResolvedTable {
  table: string;
  /** The quoted identifier (`"events"."outbox"`). */
  ident: string;
  channel: string;
  lockKey: string;
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function resolveTable(options: OutboxTableOptions = {}): ResolvedTable {
  const table = options.table ?? 'outbox';
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) throw new Error(`outbox table name ${JSON.stringify(table)}: lowercase letters, digits, _ (optionally schema.table)`);
  const channel = options.channel ?? parts[parts.length - 1]!;
  if (!NAME.test(channel)) throw new Error(`outbox channel ${JSON.stringify(channel)}: lowercase letters, digits, _`);
  return { table, ident: parts.map((p) => `"${p}"`).join('.'), channel, lockKey: options.lockKey ?? `outbox-relay:${table}` };
}

/**
 * The DDL of an outbox table, to paste into (or generate) a service's migration:
 * `id` BIGSERIAL (the publish order), `event_id` UUID UNIQUE, `topic`, `key`, `payload` JSONB,
 * `headers` JSONB, `created_at`, `published_at` (NULL until Kafka acknowledged), `attempts`,
 * `last_error`; an index on (`published_at`, `id`) for the relay's claim and the retention delete.
 * No trigger: `OutboxWriter` notifies in the same statement as the insert.
 */
export function outboxTableSql(options: OutboxTableOptions = {}): string {
  const { ident, table } = resolveTable(options);
  const base = table.split('.').pop()!;
  return `-- CreateTable
CREATE TABLE ${ident} (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "${base}_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "${base}_event_id_key" ON ${ident}("event_id");

-- CreateIndex
CREATE INDEX "${base}_published_at_id_idx" ON ${ident}("published_at", "id");
`;
}

/** The Prisma model of the same table (for `schema.prisma`; `prisma migrate diff` then writes `outboxTableSql`). */
export function outboxPrismaModel(options: OutboxTableOptions & { model?: string } = {}): string {
  const { table } = resolveTable(options);
  return `/// Transactional outbox (@shop/kit outbox): written in the transaction of the change, relayed to Kafka.
model ${options.model ?? 'Outbox'} {
  id          BigInt    @id @default(autoincrement())
  eventId     String    @unique @map("event_id") @db.Uuid
  topic       String
  key         String
  payload     Json
  headers     Json      @default("{}")
  createdAt   DateTime  @default(now()) @map("created_at") @db.Timestamptz(3)
  publishedAt DateTime? @map("published_at") @db.Timestamptz(3)
  attempts    Int       @default(0)
  lastError   String?   @map("last_error")

  @@index([publishedAt, id])
  @@map("${table.split('.').pop()}")
}
`;
}

// ------------------------------------------------------------------ the writer

/** One event to publish. */
export interface OutboxMessage {
  /** The event's own id (unique: writing the same event twice fails the transaction). */
  eventId: string;
  topic: string;
  /** The Kafka key: one key's events keep their order (same partition, id order). */
  key: string;
  /** The message value: JSON (stored as JSONB; a string is taken as JSON text). */
  payload: unknown;
  headers?: Record<string, string>;
}

/** Headers for an outbox row: the current trace context (`traceparent`, `tracestate`) and `content-type: application/json`. */
export function outboxHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(injectTraceHeaders())) if (typeof v === 'string') headers[k] = v;
  return { ...headers, 'content-type': 'application/json', ...extra };
}

/** A Prisma interactive transaction (`prisma.$transaction(async (tx) => ...)`) ... */
export interface PrismaTransactionLike {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}
/** ... or a pg client (or pool client) inside the caller's BEGIN/COMMIT. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}
export type OutboxTransaction = PrismaTransactionLike | PgQueryable;

/** Writes outbox rows inside the caller's transaction (the one that makes the change). */
export class OutboxWriter {
  readonly #t: ResolvedTable;
  constructor(options: OutboxTableOptions = {}) {
    this.#t = resolveTable(options);
  }

  async add(tx: OutboxTransaction, message: OutboxMessage): Promise<void> {
    await this.addAll(tx, [message]);
  }

  /** Inserts the rows (in this order: ids follow it) and notifies the relay, in one statement. */
  async addAll(tx: OutboxTransaction, messages: OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const values: unknown[] = [this.#t.channel];
    const rows = messages.map((m) => {
      const payload = typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload);
      if (payload === undefined) throw new Error(`outbox event ${m.eventId}: payload is not JSON`);
      values.push(m.eventId, m.topic, m.key, payload, JSON.stringify(m.headers ?? {}));
      const n = values.length;
      return `($${n - 4}::uuid, $${n - 3}, $${n - 2}, $${n - 1}::jsonb, $${n}::jsonb)`;
    });
    // The NOTIFY is delivered to listeners when (and only if) the transaction commits.
    const sql = `WITH written AS (INSERT INTO ${this.#t.ident} (event_id, topic, key, payload, headers) VALUES ${rows.join(', ')} RETURNING id)
      SELECT pg_notify($1, '') WHERE EXISTS (SELECT 1 FROM written)`;
    if ('$executeRawUnsafe' in tx) await tx.$executeRawUnsafe(sql, ...values);
    else await tx.query(sql, values);
  }
}

// ------------------------------------------------------------------ the relay's store

export interface PendingRow {
  id: string;
  topic: string;
  key: string;
  /** The JSON payload as text, sent as is. */
  payload: string;
  headers: Record<string, string>;
  createdAt: Date;
}

/** One relay round's transaction on a dedicated connection: lock, claim, mark, commit. */
export class RelayTransaction {
  readonly #client: pg.PoolClient;
  readonly #ident: string;
  #done = false;
  constructor(client: pg.PoolClient, ident: string) {
    this.#client = client;
    this.#ident = ident;
  }

  /** Rows not yet published, oldest first, locked until commit (SKIP LOCKED: never waits on another). */
  async claim(limit: number): Promise<PendingRow[]> {
    const { rows } = await this.#client.query<{ id: string; topic: string; key: string; payload: string; headers: Record<string, string> | null; created_at: Date }>(
      `SELECT id::text, topic, key, payload::text AS payload, headers, created_at
         FROM ${this.#ident} WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, topic: r.topic, key: r.key, payload: r.payload, headers: r.headers ?? {}, createdAt: r.created_at }));
  }

  async markPublished(ids: string[]): Promise<void> {
    await this.#client.query(`UPDATE ${this.#ident} SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [ids]);
  }

  async commit(): Promise<void> {
    await this.#finish('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.#finish('ROLLBACK').catch(() => undefined);
  }

  async #finish(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    try {
      await this.#client.query(statement);
      this.#client.release();
    } catch (err) {
      this.#client.release(err as Error); // a broken connection is not put back in the pool
      throw err;
    }
  }
}

/** What the relay reads and writes outside any ORM: it needs row locks and an advisory lock held across a Kafka send. */
export class OutboxStore {
  readonly #pool: pg.Pool;
  readonly #t: ResolvedTable;
  constructor(pool: pg.Pool, options: OutboxTableOptions = {}) {
    this.#pool = pool;
    this.#t = resolveTable(options);
  }

  get table(): string {
    return this.#t.table;
  }

  get channel(): string {
    return this.#t.channel;
  }

  get lockKey(): string {
    return this.#t.lockKey;
  }

  /** Opens a round's transaction and takes the relay lock; null (nothing held) when another round holds it. */
  async begin(): Promise<RelayTransaction | null> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1::text)) AS locked', [this.#t.lockKey]);
      if (rows[0]?.locked) return new RelayTransaction(client, this.#t.ident);
      await client.query('ROLLBACK');
      client.release();
      return null;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  /** Bookkeeping of a failed attempt, outside the rolled-back round. */
  async recordFailure(ids: string[], error: string): Promise<void> {
    await this.#pool.query(`UPDATE ${this.#t.ident} SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[]) AND published_at IS NULL`, [ids, error.slice(0, 2_000)]);
  }

  /** How many rows wait and how old the oldest is, in seconds (0 when none). */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const { rows } = await this.#pool.query<{ pending: string; age: number | null }>(
      `SELECT count(*) AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM ${this.#t.ident} WHERE published_at IS NULL`,
    );
    return { pending: Number(rows[0]?.pending ?? 0), oldestAgeSeconds: Math.max(0, rows[0]?.age ?? 0) };
  }

  /** Deletes rows published longer than `days` ago; answers how many. */
  async deletePublishedBefore(days: number): Promise<number> {
    const { rowCount } = await this.#pool.query(`DELETE FROM ${this.#t.ident} WHERE published_at < now() - make_interval(days => $1)`, [days]);
    return rowCount ?? 0;
  }
}

// ------------------------------------------------------------------ the relay

/** What the relay needs from a Kafka producer (KafkaJS `Producer` fits; `outboxProducer` makes the right one). */
export interface RelayProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendBatch(batch: {
    topicMessages: { topic: string; messages: { key: string; value: Buffer; headers: Record<string, string> }[] }[];
    acks: number;
  }): Promise<unknown>;
}

/**
 * The relay's producer: idempotent, one request in flight (order), acks=all (set per send), and a
 * bounded retry (KafkaJS would retry an idempotent send forever): the round fails, rolls back and
 * the relay retries it with its own backoff, so a broker outage never hangs a transaction.
 */
export function outboxProducer(kafka: Kafka): RelayProducer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 } });
}

export interface RelayMetrics {
  published: ReturnType<Metrics['counter']>;
  failures: ReturnType<Metrics['counter']>;
  pending: ReturnType<Metrics['gauge']>;
  delay: ReturnType<Metrics['histogram']>;
}

const relayMetricsByRegistry = new WeakMap<Metrics, RelayMetrics>();

/** The relay's series (`outbox_*`, label `table`), created once per registry (several relays share them). */
export function relayMetrics(metrics: Metrics): RelayMetrics {
  let m = relayMetricsByRegistry.get(metrics);
  if (!m) {
    const labelNames = ['table'] as const;
    m = {
      published: metrics.counter({ name: 'outbox_published_total', help: 'Outbox rows published to Kafka and marked published', labelNames }),
      failures: metrics.counter({ name: 'outbox_publish_failures_total', help: 'Outbox rows whose publish round failed (each retry counts)', labelNames }),
      pending: metrics.gauge({ name: 'outbox_pending', help: 'Outbox rows not yet published (updated every relay round)', labelNames }),
      delay: metrics.histogram({
        name: 'outbox_publish_delay_seconds', help: 'From the outbox row written (commit) to Kafka acknowledging it', labelNames,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      }),
    };
    relayMetricsByRegistry.set(metrics, m);
  }
  return m;
}

interface RelayLog {
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
  /** Where the relay LISTENs for commits (a dedicated connection); none: polling only. */
  listenConnectionString?: string;
  log: RelayLog;
  metrics: RelayMetrics;
  /** Rows per round (one Kafka batch, one transaction). */
  batchSize: number;
  /** The fallback poll when no NOTIFY arrives. */
  pollMs: number;
  maxBackoffMs?: number;
  /** Published rows older than this are deleted (checked at start and every hour). Default 7. */
  retentionDays?: number;
  hooks?: RelayHooks;
}

export type RoundResult = { status: 'locked' } | { status: 'idle' } | { status: 'published'; count: number };

const ACKS_ALL = -1;
const HOUR_MS = 3_600_000;

/**
 * The transactional-outbox relay. Each round, in one transaction holding the table's advisory lock:
 * claim the oldest unpublished rows (FOR UPDATE SKIP LOCKED), send them in id order as one batch with
 * an idempotent producer waiting for all in-sync replicas, then mark them published and commit.
 * A crash anywhere before the commit leaves the rows unpublished, so they are sent again: duplicates
 * are possible, gaps are not (consumers are idempotent). The lock makes one round run at a time
 * across instances, so two relays cannot split one key's events over two batches and reorder them.
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
    this.#o = { ...options, maxBackoffMs: options.maxBackoffMs ?? 5_000, retentionDays: options.retentionDays ?? 7 };
    // The labelled series exist from the start (at 0), whichever instance's relay wins the rounds: an
    // instance that never published (another one holds the lock) still shows every series.
    const labels = { table: options.store.table };
    options.metrics.published.inc(labels, 0);
    options.metrics.failures.inc(labels, 0);
    options.metrics.pending.set(labels, 0);
    options.metrics.delay.zero(labels);
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
    this.#cleanup = setInterval(() => void this.deleteOld(), HOUR_MS);
    this.#cleanup.unref();
    void this.deleteOld();
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
    const labels = { table: store.table };
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
        metrics.pending.set(labels, 0);
        return { status: 'idle' };
      }
      // One PRODUCER span per row written inside a trace, so the consumer's span continues from the publish.
      const traced = rows.map((row) => startProducerSpan(row.topic, row.key, row.headers));
      try {
        await producer.sendBatch({ topicMessages: groupByTopic(rows, traced.map((t) => t?.headers)), acks: ACKS_ALL });
      } catch (err) {
        endProducerSpans(traced.map((t) => t?.span), err);
        throw err;
      }
      endProducerSpans(traced.map((t) => t?.span));
      const acknowledgedAt = Date.now();
      await hooks?.afterSend?.(rows);
      await tx.markPublished(rows.map((r) => r.id));
      await tx.commit();
      metrics.published.inc(labels, rows.length);
      for (const row of rows) metrics.delay.observe(labels, Math.max(0, acknowledgedAt - row.createdAt.getTime()) / 1000);
    } catch (err) {
      await tx.rollback();
      if (rows.length > 0) {
        metrics.failures.inc(labels, rows.length);
        await store.recordFailure(rows.map((r) => r.id), (err as Error).message ?? String(err)).catch(() => undefined);
      }
      throw err;
    }
    await this.#updateBacklog();
    return { status: 'published', count: rows.length };
  }

  async #updateBacklog(): Promise<void> {
    try {
      this.#o.metrics.pending.set({ table: this.#o.store.table }, (await this.#o.store.backlog()).pending);
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
      await client.query(`LISTEN "${this.#o.store.channel}"`);
      this.poke(); // anything committed while we were not listening
    } catch (err) {
      retry(err);
    }
  }

  /** Retention: deletes rows published more than `retentionDays` ago (runs at start and every hour). */
  async deleteOld(): Promise<number> {
    try {
      const deleted = await this.#o.store.deletePublishedBefore(this.#o.retentionDays);
      if (deleted > 0) this.#o.log.info({ deleted }, 'deleted old published outbox rows');
      return deleted;
    } catch (err) {
      this.#o.log.warn({ err }, 'could not delete old outbox rows');
      return 0;
    }
  }
}

/** One entry per topic, rows in id order (so one key's events keep their order in its partition). */
function groupByTopic(rows: PendingRow[], headers: (Record<string, string> | undefined)[] = []) {
  const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
  for (const [i, row] of rows.entries()) {
    const messages = byTopic.get(row.topic) ?? [];
    messages.push({ key: row.key, value: Buffer.from(row.payload), headers: headers[i] ?? row.headers });
    byTopic.set(row.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

// ------------------------------------------------------------------ the plugin

declare module 'fastify' {
  interface FastifyInstance {
    /** The outbox relay of this instance (tests stop it, or run single rounds with `runOnce`). */
    outboxRelay: OutboxRelay;
  }
}

export interface OutboxRelayPluginOptions extends OutboxTableOptions {
  /** Off: rows are written but this instance never publishes them. */
  enabled: boolean;
  batchSize: number;
  pollMs: number;
  /** The database the relay LISTENs on (a dedicated connection). */
  connectionString: string;
  retentionDays?: number;
  /** Readiness fails when the oldest unpublished row is older than this. Default 60. */
  maxLagSeconds?: number;
  hooks?: RelayHooks;
}

/**
 * The outbox relay of a service on `app.pg` and `app.kafka`: decorated as `app.outboxRelay`, started
 * at `onReady` (when enabled), stopped at `onClose`, metrics on `app.metrics`, readiness check `outbox`.
 */
export const outboxRelayPlugin = fp<OutboxRelayPluginOptions>(
  async (app, options) => {
    const store = new OutboxStore(app.pg, options);
    const relay = new OutboxRelay({
      store, producer: outboxProducer(app.kafka),
      listenConnectionString: options.connectionString,
      log: app.log.child({ component: 'outbox-relay', table: store.table }),
      metrics: relayMetrics(app.metrics),
      batchSize: options.batchSize,
      pollMs: options.pollMs,
      retentionDays: options.retentionDays,
      hooks: options.hooks,
    });
    const maxLagSeconds = options.maxLagSeconds ?? 60;
    app.decorate('outboxRelay', relay);
    app.health.add('outbox', async () => {
      const { pending, oldestAgeSeconds } = await store.backlog();
      if (oldestAgeSeconds > maxLagSeconds) {
        throw new Error(`${pending} outbox rows unpublished, the oldest for ${Math.round(oldestAgeSeconds)} s`);
      }
    });
    if (options.enabled) app.addHook('onReady', async () => relay.start());
    app.addHook('onClose', async () => relay.stop());
  },
  { name: 'outbox-relay', dependencies: ['postgres', 'kafka', 'health', 'metrics'] },
);

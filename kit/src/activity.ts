/**
 * The activity emitter (see kit/README.md): how a service puts server-side activity events (`search`,
 * `product_view`, `add_to_cart`, ...) on `user-activity` without ever slowing or failing the request the
 * event describes.
 *
 * - `emit()` is synchronous and never throws: it completes the event (id, time), validates it against the
 *   contract and appends it to an in-memory buffer of at most `maxBuffer` events;
 * - a background loop sends the buffer to Kafka in batches every `flushMs` (or as soon as `batchSize` events
 *   wait); a failed send keeps the batch for the next round while there is room;
 * - whatever cannot be kept is dropped and counted: `activity_events_dropped_total{reason}` with reason
 *   `buffer-full`, `invalid` (the contract refused it), `disabled` (no Kafka configured), `shutdown` (still
 *   buffered when the stop's time limit ran out); `activity_events_emitted_total` counts what Kafka acknowledged,
 *   `activity_emit_buffer` the events waiting.
 *
 * Delivery is best effort by design (analytics, not money): at most `maxBuffer` events can be lost in a
 * crash. The event ids make a batch sent twice (a retry after a lost acknowledgement) count once.
 */
import { randomUUID } from 'node:crypto';
import { ANONYMOUS_ID_HEADER, USER_ACTIVITY_TOPIC, activityKey, anonymousIdFrom, validateActivityEvent, type ActivityEvent } from '@shop/contracts';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

/** What a service emits: the event without its id and time (the emitter stamps both unless given). */
export type ActivityInput = Omit<ActivityEvent, 'eventId' | 'occurredAt'> & Partial<Pick<ActivityEvent, 'eventId' | 'occurredAt'>>;

export const DROP_REASONS = ['buffer-full', 'invalid', 'disabled', 'shutdown'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface ActivityEmitterOptions {
  /** No Kafka: every event is dropped as `disabled` (the service works without analytics). */
  kafka?: Kafka;
  metrics: Metrics;
  log: Pick<Logger, 'warn' | 'error' | 'debug'>;
  topic?: string;
  /** Events kept while Kafka is slow or down. Default 10 000. */
  maxBuffer?: number;
  /** At most this long between a buffered event and its send. Default 200 ms. */
  flushMs?: number;
  /** Events per Kafka request. Default 500. */
  batchSize?: number;
  /** How long `stop()` keeps trying to send what is buffered. Default 2 s. */
  stopTimeoutMs?: number;
}

const seriesByRegistry = new WeakMap<Metrics, ReturnType<typeof createSeries>>();
function createSeries(metrics: Metrics) {
  const dropped = metrics.counter({ name: 'activity_events_dropped_total', help: 'Activity events not sent to user-activity, by reason', labelNames: ['reason'] as const });
  for (const reason of DROP_REASONS) dropped.inc({ reason }, 0);
  return {
    dropped,
    emitted: metrics.counter({ name: 'activity_events_emitted_total', help: 'Activity events Kafka acknowledged on user-activity' }),
    buffered: metrics.gauge({ name: 'activity_emit_buffer', help: 'Activity events waiting to be sent' }),
    failures: metrics.counter({ name: 'activity_emit_failures_total', help: 'Failed sends of a batch of activity events (kept for the next round while there is room)' }),
  };
}

export class ActivityEmitter {
  readonly #o: Required<Omit<ActivityEmitterOptions, 'kafka'>> & { kafka?: Kafka };
  readonly #series: ReturnType<typeof createSeries>;
  #buffer: ActivityEvent[] = [];
  #producer: Producer | undefined;
  #connected = false;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #stopped = false;

  constructor(options: ActivityEmitterOptions) {
    this.#o = { topic: USER_ACTIVITY_TOPIC, maxBuffer: 10_000, flushMs: 200, batchSize: 500, stopTimeoutMs: 2_000, ...options };
    this.#series = seriesByRegistry.get(options.metrics) ?? createSeries(options.metrics);
    seriesByRegistry.set(options.metrics, this.#series);
  }

  /** Events waiting to be sent. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Queues one event; never throws, never waits. Answers the event id (also for a dropped event). */
  emit(input: ActivityInput): string {
    const event = { ...input, eventId: input.eventId ?? randomUUID(), occurredAt: input.occurredAt ?? new Date().toISOString() } as ActivityEvent;
    try {
      if (!this.#o.kafka || this.#stopped) return this.#drop(this.#o.kafka ? 'shutdown' : 'disabled', event);
      const valid = validateActivityEvent(event);
      if (!valid.ok) {
        this.#o.log.debug({ errors: valid.errors, type: event.type }, 'activity event refused by the contract');
        return this.#drop('invalid', event);
      }
      if (this.#buffer.length >= this.#o.maxBuffer) return this.#drop('buffer-full', event);
      this.#buffer.push(valid.value);
      this.#series.buffered.set(this.#buffer.length);
      if (this.#buffer.length >= this.#o.batchSize && this.#connected) void this.flush();
    } catch (err) {
      this.#o.log.debug({ err }, 'activity event not emitted');
    }
    return event.eventId;
  }

  #drop(reason: DropReason, event: ActivityEvent, count = 1): string {
    this.#series.dropped.inc({ reason }, count);
    return event.eventId;
  }

  /** Connects the producer in the background (retrying) and starts the flush loop. */
  start(): void {
    if (!this.#o.kafka || this.#producer) return;
    this.#producer = this.#o.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2 } });
    const connect = (attempt: number): void => {
      if (this.#stopped) return;
      this.#producer!.connect().then(() => {
        this.#connected = true;
      }, (err: unknown) => {
        this.#o.log.warn({ err, attempt }, 'activity emitter: Kafka not reachable; events are buffered meanwhile');
        setTimeout(() => connect(attempt + 1), Math.min(500 * 2 ** attempt, 15_000)).unref();
      });
    };
    connect(0);
    this.#timer = setInterval(() => void this.flush(), this.#o.flushMs);
    this.#timer.unref();
  }

  /** Sends what is buffered (one round at a time); a failed batch goes back to the front while there is room. */
  flush(): Promise<void> {
    if (this.#flushing || !this.#connected || this.#buffer.length === 0) return this.#flushing ?? Promise.resolve();
    this.#flushing = (async () => {
      try {
        while (this.#connected && this.#buffer.length > 0) {
          const batch = this.#buffer.splice(0, this.#o.batchSize);
          this.#series.buffered.set(this.#buffer.length);
          try {
            await this.#producer!.send({
              topic: this.#o.topic, acks: -1,
              messages: batch.map((e) => ({ key: activityKey(e), value: JSON.stringify(e), headers: { 'content-type': 'application/json' } })),
            });
            this.#series.emitted.inc(batch.length);
          } catch (err) {
            this.#series.failures.inc();
            this.#o.log.warn({ err, events: batch.length }, 'activity emitter: send failed; kept for the next round');
            const room = Math.max(0, this.#o.maxBuffer - this.#buffer.length);
            if (room < batch.length) this.#series.dropped.inc({ reason: 'buffer-full' }, batch.length - room);
            this.#buffer.unshift(...batch.slice(0, room));
            this.#series.buffered.set(this.#buffer.length);
            return;
          }
        }
      } finally {
        this.#flushing = undefined;
      }
    })();
    return this.#flushing;
  }

  /** Sends what it can within `stopTimeoutMs`, counts the rest as dropped (`shutdown`), disconnects. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    const deadline = Date.now() + this.#o.stopTimeoutMs;
    while (this.#connected && this.#buffer.length > 0 && Date.now() < deadline) {
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      if (this.#buffer.length > 0) await new Promise((r) => setTimeout(r, 50));
    }
    await this.#flushing?.catch(() => undefined);
    if (this.#buffer.length > 0) this.#series.dropped.inc({ reason: 'shutdown' }, this.#buffer.length);
    this.#buffer = [];
    this.#series.buffered.set(0);
    this.#connected = false;
    await this.#producer?.disconnect().catch(() => undefined);
  }
}

/**
 * Who a request's events are about: the `X-Anonymous-Id` header when valid; `userId` from a verified token
 * (the kit's auth plugin) when the service has one. Without either: the anonymous id `anonymous`
 * (events are still counted; per-shopper figures see one shared shopper).
 */
export function activityActor(request: FastifyRequest): { anonymousId: string; userId?: string } {
  const identity = (request as { identity?: { id: string; role: string } | null }).identity;
  const userId = identity && identity.role !== 'service' ? identity.id : undefined;
  const anonymousId = anonymousIdFrom(request.headers[ANONYMOUS_ID_HEADER]) ?? (userId ? `user:${userId}` : 'anonymous');
  return userId ? { anonymousId, userId } : { anonymousId };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The activity emitter of this service (`activityEmitterPlugin`). */
    activity: ActivityEmitter;
  }
}

/**
 * `app.activity`: an emitter on `app.kafka` when the service has the Kafka plugin, else on a client of its own
 * for `brokers` (no readiness check: a service whose only use of Kafka is this emitter stays ready without it),
 * else one that drops everything as `disabled`. Started at `onReady`, flushed and stopped at `onClose`.
 */
export const activityEmitterPlugin = fp<Partial<Omit<ActivityEmitterOptions, 'kafka' | 'metrics' | 'log'>> & { brokers?: string; clientId?: string }>(
  async (app, { brokers, clientId, ...options }) => {
    const log = app.log.child({ component: 'activity-emitter' });
    const kafka = app.hasDecorator('kafka') ? app.kafka
      : brokers ? new Kafka({ clientId: clientId ?? 'activity-emitter', brokers: brokers.split(','), connectionTimeout: 3_000, logLevel: logLevel.NOTHING })
        : undefined;
    const emitter = new ActivityEmitter({ ...options, kafka, metrics: app.metrics, log });
    app.decorate('activity', emitter);
    app.addHook('onReady', async () => emitter.start());
    app.addHook('onClose', async () => emitter.stop());
  },
  { name: 'activity-emitter', dependencies: ['metrics'] },
);

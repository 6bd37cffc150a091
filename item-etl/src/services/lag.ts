import type { Admin, Kafka } from 'kafkajs';
import type { EtlMetrics } from '../metrics.ts';
import type { Log } from './consumer.ts';

/**
 * Publishes etl_consumer_lag every few seconds: per partition, the high watermark minus the group's
 * committed offset (the whole retained partition while the group has committed nothing).
 */
export class LagMonitor {
  readonly #kafka: Kafka;
  readonly #options: { groupId: string; topic: string; intervalMs: number };
  readonly #metrics: EtlMetrics;
  readonly #log: Log;
  #admin: Admin | undefined;
  #connected: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(kafka: Kafka, options: { groupId: string; topic: string; intervalMs?: number }, metrics: EtlMetrics, log: Log) {
    this.#kafka = kafka;
    this.#options = { intervalMs: 5_000, ...options };
    this.#metrics = metrics;
    this.#log = log;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.measure()
        .then(() => undefined, (err: unknown) => this.#log.debug({ err }, 'consumer lag not measured'))
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Measures once; returns the lag per partition. */
  async measure(): Promise<Map<number, number>> {
    this.#admin ??= this.#kafka.admin({ retry: { retries: 0 } });
    const admin = this.#admin;
    this.#connected ??= admin.connect().catch((err: unknown) => {
      this.#connected = undefined;
      throw err;
    });
    await this.#connected;
    const { groupId, topic } = this.#options;
    const [high, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const committedBy = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const lag = new Map<number, number>();
    for (const p of high) {
      const done = committedBy.get(p.partition) ?? -1;
      const value = Math.max(0, Number(p.high) - (done >= 0 ? done : Number(p.low)));
      lag.set(p.partition, value);
      this.#metrics.lag.set({ topic, partition: String(p.partition) }, value);
    }
    return lag;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
    if (this.#connected) await this.#admin?.disconnect().catch(() => undefined);
  }
}

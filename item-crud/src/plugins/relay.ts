import fp from 'fastify-plugin';
import { OutboxStore } from '../repositories/outbox.ts';
import { OutboxRelay, relayMetrics, type RelayHooks } from '../services/relay.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The outbox relay of this instance (tests stop it, or run single rounds with `runOnce`). */
    outboxRelay: OutboxRelay;
  }
}

export interface RelayPluginOptions {
  enabled: boolean;
  batchSize: number;
  pollMs: number;
  /** The database the relay LISTENs on (a dedicated connection). */
  connectionString: string;
  hooks?: RelayHooks;
}

/** Oldest unpublished row older than this: the instance reports itself not ready. */
export const MAX_OUTBOX_LAG_SECONDS = 60;

/** Runs the outbox relay from `onReady` to `onClose`, with its metrics and a readiness check. */
export const relayPlugin = fp<RelayPluginOptions>(
  async (app, options) => {
    const store = new OutboxStore(app.pg);
    const producer = app.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // A bounded retry (KafkaJS would retry an idempotent send forever): the round fails, rolls back
      // and the relay retries it with its own backoff, so a broker outage never hangs a transaction.
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    const relay = new OutboxRelay({
      store, producer,
      listenConnectionString: options.connectionString,
      log: app.log.child({ component: 'outbox-relay' }),
      metrics: relayMetrics(app.metrics),
      batchSize: options.batchSize,
      pollMs: options.pollMs,
      hooks: options.hooks,
    });
    app.decorate('outboxRelay', relay);
    app.health.add('outbox', async () => {
      const { pending, oldestAgeSeconds } = await store.backlog();
      if (oldestAgeSeconds > MAX_OUTBOX_LAG_SECONDS) {
        throw new Error(`${pending} outbox rows unpublished, the oldest for ${Math.round(oldestAgeSeconds)} s`);
      }
    });
    if (options.enabled) app.addHook('onReady', async () => relay.start());
    app.addHook('onClose', async () => relay.stop());
  },
  { name: 'outbox-relay', dependencies: ['postgres', 'kafka', 'health', 'metrics'] },
);

import fp from 'fastify-plugin';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';

declare module 'fastify' {
  interface FastifyInstance {
    kafka: Kafka;
  }
}

/** A KafkaJS client; producers and consumers are made from it by the service that needs them. */
export const kafkaPlugin = fp<{ brokers: string[]; clientId: string; topics: string[] }>(
  async (app, { brokers, clientId, topics }) => {
    const log = app.log.child({ component: 'kafka' });
    const kafka = new Kafka({
      clientId,
      brokers,
      connectionTimeout: 3_000,
      logLevel: logLevel.WARN,
      logCreator: () => ({ level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        if (level <= logLevel.ERROR) log.error(extra, message);
        else log.warn(extra, message);
      },
    });
    const admin = kafka.admin({ retry: { retries: 0 } });
    let connected: Promise<void> | undefined;
    app.decorate('kafka', kafka);
    app.health.add('kafka', async () => {
      connected ??= admin.connect().catch((err: unknown) => {
        connected = undefined;
        throw err;
      });
      await connected;
      const metadata = await admin.fetchTopicMetadata({ topics });
      const missing = topics.filter((t) => !metadata.topics.some((m) => m.name === t));
      if (missing.length) throw new Error(`topics missing: ${missing.join(', ')}`);
    });
    app.addHook('onClose', async () => admin.disconnect());
  },
  { name: 'kafka', dependencies: ['health'] },
);

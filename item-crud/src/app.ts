import { COMMENT_EVENTS_TOPIC, ITEM_EVENTS_TOPIC, ITEM_EVENTS_DLQ_TOPIC, JWKS_PATH } from '@shop/contracts';
import { authPlugin, consumerMetrics, createService, outboxRelayPlugin, registerClients, type RelayHooks } from '@shop/kit';
import { config } from './config.ts';
import { prismaPlugin } from './plugins/prisma.ts';
import { ITEM_CRUD_OUTBOX } from './repositories/outbox.ts';
import { categoryRoutes } from './routes/categories.ts';
import { commentRoutes } from './routes/comments.ts';
import { imageRoutes } from './routes/images.ts';
import { itemRoutes } from './routes/items.ts';
import { reservationRoutes } from './routes/reservations.ts';
import { sellerRoutes } from './routes/sellers.ts';
import { createServices } from './services/index.ts';
import type { ImageHooks } from './services/images.ts';
import type { ItemHooks } from './services/items.ts';
import { ReservationSweeper } from './services/reservation-sweeper.ts';
import { reviewSummariesConsumer, reviewSummaryMetrics, type ReviewSummaryHooks } from './services/review-summaries.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Releases expired held reservations (tests call runOnce()). */
    reservationSweeper: ReservationSweeper;
    /** The `review-summaries` consumer; undefined when REVIEW_SUMMARIES_ENABLED is false. */
    reviewSummariesConsumer: ReturnType<typeof reviewSummariesConsumer> | undefined;
  }
}

/** Seams for tests: failures injected inside the item, image or review-summary write transaction or the relay round. */
export interface BuildOptions {
  itemHooks?: ItemHooks;
  imageHooks?: ImageHooks;
  relayHooks?: RelayHooks;
  reviewSummaryHooks?: ReviewSummaryHooks;
}

export async function buildService(env: NodeJS.ProcessEnv = process.env, options: BuildOptions = {}) {
  const service = await createService({ name: 'item-crud', config, env });
  const { app, config: cfg } = service;
  const consumed = cfg.REVIEW_SUMMARIES_ENABLED ? [cfg.REVIEW_SUMMARIES_TOPIC, cfg.REVIEW_SUMMARIES_DLQ_TOPIC] : [];
  await registerClients(app, 'item-crud', cfg, [ITEM_EVENTS_TOPIC, ITEM_EVENTS_DLQ_TOPIC, COMMENT_EVENTS_TOPIC, ...consumed]);
  await app.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, cfg.SSO_URL).toString() });
  await app.register(prismaPlugin, { url: cfg.DATABASE_URL });
  await app.register(outboxRelayPlugin, {
    ...ITEM_CRUD_OUTBOX, enabled: cfg.RELAY_ENABLED, batchSize: cfg.RELAY_BATCH_SIZE, pollMs: cfg.RELAY_POLL_MS,
    connectionString: cfg.DATABASE_URL, hooks: options.relayHooks,
  });
  const { categories, items, sellers, images, comments, reservations, reviewSummaries } = createServices(app, {
    bucket: cfg.MINIO_BUCKET, ssoUrl: cfg.SSO_URL,
    imageLimits: { maxBytes: cfg.IMAGE_MAX_BYTES, maxPixels: cfg.IMAGE_MAX_PIXELS }, reservationTtlSeconds: cfg.RESERVATION_TTL_SECONDS,
    itemHooks: options.itemHooks, imageHooks: options.imageHooks, reviewSummaryHooks: options.reviewSummaryHooks,
  });
  await app.register(categoryRoutes, { categories });
  await app.register(itemRoutes, { items, categories });
  await app.register(imageRoutes, { images });
  await app.register(commentRoutes, { comments });
  await app.register(sellerRoutes, { sellers });
  await app.register(reservationRoutes, { reservations });
  const sweeper = new ReservationSweeper(reservations, cfg.RESERVATION_SWEEP_INTERVAL_MS, app.log.child({ component: 'reservations' }));
  app.decorate('reservationSweeper', sweeper);
  if (cfg.RESERVATION_SWEEP_ENABLED) app.addHook('onReady', async () => sweeper.start());
  app.addHook('onClose', async () => sweeper.stop());

  // comment-analysis's review summaries, kept on the items (each a version + 1 and an item.updated).
  const consumer = cfg.REVIEW_SUMMARIES_ENABLED
    ? reviewSummariesConsumer({
      kafka: app.kafka, topic: cfg.REVIEW_SUMMARIES_TOPIC, dlqTopic: cfg.REVIEW_SUMMARIES_DLQ_TOPIC, groupId: cfg.REVIEW_SUMMARIES_GROUP,
      service: reviewSummaries, metrics: consumerMetrics(app.metrics, 'item_crud'), outcomes: reviewSummaryMetrics(app.metrics),
      log: app.log.child({ component: 'review-summaries' }),
    })
    : undefined;
  app.decorate('reviewSummariesConsumer', consumer);
  if (consumer) {
    app.health.add('review-summaries consumer', async () => consumer.check());
    app.addHook('onReady', async () => void consumer.startInBackground());
    app.addHook('onClose', async () => consumer.stop());
  }
  return service;
}

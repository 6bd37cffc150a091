import fp from 'fastify-plugin';
import type { FacadeConfig } from '../config.ts';
import { createFacadeMetrics, type FacadeMetrics } from '../metrics.ts';
import { ImageRepository } from '../repositories/images.ts';
import { ItemCrudClient } from '../repositories/item-crud.ts';
import { PageCache } from '../repositories/page-cache.ts';
import { RelatedRepository } from '../repositories/related.ts';
import { ImageService } from '../services/images.ts';
import { createInvalidationConsumer, type InvalidationConsumer } from '../services/invalidation.ts';
import { ProductComposer, ProductService } from '../services/products.ts';

export interface Facade {
  metrics: FacadeMetrics;
  cache: PageCache;
  products: ProductService;
  images: ImageService;
  invalidation: InvalidationConsumer | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    facade: Facade;
  }
}

/**
 * The facade's wiring: repositories, services and the invalidation consumer. The consumer starts in
 * the background (Kafka being down must not stop pages and images from being served) and leaves its
 * group on close, before the Kafka and Redis clients close (onClose runs last-registered first).
 */
export const facadePlugin = fp<{ config: FacadeConfig }>(
  async (app, { config }) => {
    const log = app.log.child({ component: 'facade' });
    const metrics = createFacadeMetrics(app.metrics);
    const cache = new PageCache(app.redis);
    const composer = new ProductComposer(new ItemCrudClient(config.ITEM_CRUD_URL, metrics), new RelatedRepository(app.es, config.ITEMS_ALIAS, metrics), metrics, log);
    const products = new ProductService(composer, cache, { ttlMs: config.PRODUCT_CACHE_TTL_MS, degradedTtlMs: config.PRODUCT_DEGRADED_TTL_MS }, metrics, log);
    const images = new ImageService(new ImageRepository(app.minio, config.MINIO_BUCKET));
    const invalidation = config.INVALIDATION_ENABLED
      ? createInvalidationConsumer(
        { groupId: config.FACADE_GROUP_ID, itemTopic: config.ITEM_EVENTS_TOPIC, commentTopic: config.COMMENT_EVENTS_TOPIC },
        { kafka: app.kafka, cache, metrics, log },
      )
      : undefined;
    app.decorate('facade', { metrics, cache, products, images, invalidation });
    if (!invalidation) return;

    app.addHook('onReady', async () => {
      void invalidation.startInBackground();
    });
    app.addHook('onClose', async () => invalidation.stop());
  },
  { name: 'facade', dependencies: ['kafka', 'elasticsearch', 'redis', 'minio', 'health', 'metrics'] },
);

import fp from 'fastify-plugin';
import { syncCategories } from '../index/categories.ts';
import { IndexLifecycle, sleep } from '../index/lifecycle.ts';
import type { EtlConfig } from '../config.ts';
import { createEtlMetrics } from '../metrics.ts';
import { CatalogRepository } from '../repositories/catalog.ts';
import { CategoryCache } from '../services/categories.ts';
import { ItemEventsConsumer } from '../services/consumer.ts';
import { DocumentBuilder } from '../services/documents.ts';

export interface Etl {
  lifecycle: IndexLifecycle;
  consumer: ItemEventsConsumer;
  documents: DocumentBuilder;
  catalog: CatalogRepository;
}

declare module 'fastify' {
  interface FastifyInstance {
    etl: Etl;
  }
}

/**
 * The pipeline: at start the index (and alias) is ensured and the consumer joins its group; at
 * close the consumer leaves after its current batch (onClose hooks run last-registered first, so
 * this runs before the Elasticsearch, PostgreSQL and Kafka clients close).
 */
export const etlPlugin = fp<{ config: EtlConfig }>(
  async (app, { config }) => {
    const log = app.log.child({ component: 'etl' });
    const metrics = createEtlMetrics(app.metrics);
    const lifecycle = new IndexLifecycle(app.es, { alias: config.ITEMS_ALIAS, refreshInterval: config.INDEX_REFRESH_INTERVAL });
    const catalog = new CatalogRepository(app.pg);
    const documents = new DocumentBuilder(new CategoryCache({ load: () => catalog.categories() }), catalog);
    const consumer = new ItemEventsConsumer(
      {
        topic: config.ITEM_EVENTS_TOPIC, dlqTopic: config.DLQ_TOPIC, groupId: config.ETL_GROUP_ID,
        bulkMaxDocs: config.BULK_MAX_DOCS, partitionConcurrency: config.ETL_PARTITION_CONCURRENCY,
      },
      { kafka: app.kafka, lifecycle, documents, metrics, log },
    );
    app.decorate('etl', { lifecycle, consumer, documents, catalog });
    app.health.add('consumer', async () => consumer.check());

    const stopping = new AbortController();
    // Never blocks the start: joining the group can take a session timeout (a killed predecessor is
    // still a member), and Elasticsearch or Kafka being down must not stop the service from serving
    // its health and metrics. The kit's runner keeps trying in the background (the index first);
    // readiness says when it consumes.
    app.addHook('onReady', async () => {
      void consumer.startInBackground(async () => {
        await lifecycle.ensureIndex();
      });
      // The index usually exists a moment later: wait for it briefly, so the alias is there when ready() returns.
      await Promise.race([lifecycle.ensureIndex(5_000).catch(() => undefined), sleep(5_000)]);
    });
    // The category suggestion index: at start (retrying until it works), then every CATEGORY_SYNC_MS.
    let categoriesSynced = false;
    const syncOnce = async () => {
      try {
        const result = await syncCategories(app.es, config.CATEGORIES_INDEX, await catalog.categories());
        if (!categoriesSynced) log.info({ index: config.CATEGORIES_INDEX, ...result }, 'categories index synced');
        categoriesSynced = true;
      } catch (err) {
        log.warn({ err, index: config.CATEGORIES_INDEX }, 'categories index not synced; retrying');
      }
    };
    let categoryTimer: NodeJS.Timeout | undefined;
    const scheduleSync = (ms: number) => {
      categoryTimer = setTimeout(() => void syncOnce().then(() => {
        if (!stopping.signal.aborted) scheduleSync(categoriesSynced ? config.CATEGORY_SYNC_MS : 5_000);
      }), ms);
      categoryTimer.unref();
    };
    app.addHook('onReady', async () => scheduleSync(0));
    app.addHook('onClose', async () => {
      clearTimeout(categoryTimer);
      stopping.abort();
      await consumer.stop();
    });
  },
  { name: 'etl', dependencies: ['kafka', 'elasticsearch', 'postgres', 'health', 'metrics'] },
);

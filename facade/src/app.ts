import { activityEmitterPlugin, createService, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { facadePlugin } from './plugins/facade.ts';
import { imageRoutes } from './routes/images.ts';
import { RecommendationsClient } from './repositories/recommendations.ts';
import { ReviewSummaryClient } from './repositories/review-summary.ts';
import { productRoutes } from './routes/products.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'facade', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'facade', cfg, [cfg.ITEM_EVENTS_TOPIC, cfg.COMMENT_EVENTS_TOPIC]);
  await app.register(facadePlugin, { config: cfg });
  await app.register(activityEmitterPlugin); // product_view events on user-activity (best effort)
  const reviewSummaries = cfg.COMMENT_ANALYSIS_URL ? new ReviewSummaryClient(cfg.COMMENT_ANALYSIS_URL, cfg.REVIEW_SUMMARY_TIMEOUT_MS, app.log.child({ component: 'review-summary' })) : undefined;
  const recommendations = cfg.RECOMMENDATIONS_URL ? new RecommendationsClient(cfg.RECOMMENDATIONS_URL, cfg.RECOMMENDATIONS_TIMEOUT_MS, app.log.child({ component: 'recommendations' })) : undefined;
  await app.register(productRoutes, { products: app.facade.products, reviewSummaries, recommendations });
  await app.register(imageRoutes, { images: app.facade.images, metrics: app.facade.metrics });
  return service;
}

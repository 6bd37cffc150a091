import type { App } from '@shop/kit';
import { CategoryRepository } from '../repositories/categories.ts';
import { CommentRepository } from '../repositories/comments.ts';
import { ImageStore } from '../repositories/image-store.ts';
import { ImageRepository } from '../repositories/images.ts';
import { ItemRepository } from '../repositories/items.ts';
import { OutboxWriter } from '../repositories/outbox.ts';
import { ProfileClient } from '../repositories/profiles.ts';
import { ReservationRepository } from '../repositories/reservations.ts';
import { SellerRepository } from '../repositories/sellers.ts';
import { CategoryService } from './categories.ts';
import { CommentService } from './comments.ts';
import { ImageObjects, imageObjectMetrics } from './image-objects.ts';
import { ImageService, imageMetrics, type ImageHooks, type ImageLimits } from './images.ts';
import { ItemService, type ItemHooks } from './items.ts';
import { ReservationService, reservationMetrics } from './reservations.ts';
import { ReviewSummaryService, type ReviewSummaryHooks } from './review-summaries.ts';
import { SellerService } from './sellers.ts';

export interface CatalogServices {
  categories: CategoryService;
  items: ItemService;
  sellers: SellerService;
  images: ImageService;
  comments: CommentService;
  reservations: ReservationService;
  reviewSummaries: ReviewSummaryService;
}

export interface ServiceSettings {
  bucket: string;
  ssoUrl: string;
  imageLimits: ImageLimits;
  /** RESERVATION_TTL_SECONDS: how long held units stay reserved when the request does not say. */
  reservationTtlSeconds: number;
  itemHooks?: ItemHooks;
  imageHooks?: ImageHooks;
  reviewSummaryHooks?: ReviewSummaryHooks;
}

/** Wires the repositories (on `app.shopDb`, `app.minio`) into the services. */
export function createServices(app: App, settings: ServiceSettings): CatalogServices {
  const sellerRepo = new SellerRepository(app.shopDb);
  const itemRepo = new ItemRepository(app.shopDb);
  const imageRepo = new ImageRepository(app.shopDb);
  const outbox = new OutboxWriter();
  const store = new ImageStore(app.minio, settings.bucket);
  const log = app.log.child({ component: 'images' });
  const imageObjects = new ImageObjects(store, log, imageObjectMetrics(app.metrics));
  const categories = new CategoryService(new CategoryRepository(app.shopDb));
  const items = new ItemService({
    items: itemRepo, sellers: sellerRepo, outbox, categories, images: imageRepo, imageObjects, hooks: settings.itemHooks,
  });
  const images = new ImageService({
    items: itemRepo, images: imageRepo, store, objects: imageObjects, outbox, limits: settings.imageLimits,
    metrics: imageMetrics(app.metrics), log, hooks: settings.imageHooks,
  });
  const comments = new CommentService({
    comments: new CommentRepository(app.shopDb), items: itemRepo, outbox, profiles: new ProfileClient(settings.ssoUrl),
    log: app.log.child({ component: 'comments' }),
  });
  const reservations = new ReservationService({
    items: itemRepo, reservations: new ReservationRepository(app.shopDb), outbox, defaultTtlSeconds: settings.reservationTtlSeconds,
    metrics: reservationMetrics(app.metrics),
  });
  const reviewSummaries = new ReviewSummaryService({ items: itemRepo, outbox, hooks: settings.reviewSummaryHooks });
  return { categories, items, sellers: new SellerService(sellerRepo), images, comments, reservations, reviewSummaries };
}

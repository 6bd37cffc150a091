import type { App } from '@shop/kit';
import { CategoryRepository } from '../repositories/categories.ts';
import { ItemRepository } from '../repositories/items.ts';
import { OutboxWriter } from '../repositories/outbox.ts';
import { SellerRepository } from '../repositories/sellers.ts';
import { CategoryService } from './categories.ts';
import { ItemService, type ItemHooks } from './items.ts';
import { SellerService } from './sellers.ts';

export interface CatalogServices {
  categories: CategoryService;
  items: ItemService;
  sellers: SellerService;
}

/** Wires the repositories (on `app.shopDb`) into the services. */
export function createServices(app: App, hooks: ItemHooks = {}): CatalogServices {
  const sellerRepo = new SellerRepository(app.shopDb);
  const categories = new CategoryService(new CategoryRepository(app.shopDb));
  const items = new ItemService({
    items: new ItemRepository(app.shopDb), sellers: sellerRepo, outbox: new OutboxWriter(), categories, hooks,
  });
  return { categories, items, sellers: new SellerService(sellerRepo) };
}

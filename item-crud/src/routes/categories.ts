import type { App } from '@shop/kit';
import type { CategoryService } from '../services/categories.ts';
import { CategoriesQuery, CategoryTree } from './schemas.ts';

export async function categoryRoutes(app: App, { categories }: { categories: CategoryService }): Promise<void> {
  app.get('/api/categories', {
    schema: {
      tags: ['categories'], summary: 'The category tree; items go into leaf categories. name is Russian unless lang=en',
      querystring: CategoriesQuery, response: { 200: CategoryTree },
    },
  }, async (request, reply) => {
    const tree = await categories.tree(request.query.lang);
    return reply.header('cache-control', 'public, max-age=300').send(tree);
  });
}

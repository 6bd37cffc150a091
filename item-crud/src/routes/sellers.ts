import type { FastifyRequest } from 'fastify';
import { requireAuth, unauthorized, type App } from '@shop/kit';
import type { SellerService } from '../services/sellers.ts';
import { IdParams, SellerView, UpdateSellerBody } from './schemas.ts';

const tags = ['sellers'];

async function trimDisplayName(request: FastifyRequest): Promise<void> {
  const body = request.body as Record<string, unknown> | null;
  if (body && typeof body === 'object' && typeof body.displayName === 'string') body.displayName = body.displayName.trim();
}

export async function sellerRoutes(app: App, { sellers }: { sellers: SellerService }): Promise<void> {
  app.patch('/api/sellers/me', {
    schema: { tags, summary: "Change the caller's seller profile (seller, admin)", body: UpdateSellerBody, response: { 200: SellerView } },
    preValidation: [requireAuth('seller', 'admin'), trimDisplayName],
  }, async (request) => {
    if (!request.identity) throw unauthorized();
    return sellers.updateOwn(request.identity.id, request.body);
  });

  app.get('/api/sellers/:id', {
    schema: { tags, summary: 'A public seller profile', params: IdParams, response: { 200: SellerView } },
  }, async (request) => sellers.get(request.params.id));
}

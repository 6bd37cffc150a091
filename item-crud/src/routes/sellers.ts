import { problem, requireAuth, trimBodyFields, unauthorized, type App } from '@shop/kit';
import type { SellerService } from '../services/sellers.ts';
import { IdParams, SellerView, UpdateSellerBody } from './schemas.ts';

const tags = ['sellers'];

/** After validation (the limits apply to the name as sent): stored trimmed. */
const trimDisplayName = trimBodyFields('displayName');

export async function sellerRoutes(app: App, { sellers }: { sellers: SellerService }): Promise<void> {
  app.patch('/api/sellers/me', {
    schema: { tags, summary: "Change the caller's seller profile (seller, admin)", body: UpdateSellerBody, response: { 200: SellerView } },
    preValidation: requireAuth('seller', 'admin'),
    preHandler: trimDisplayName,
  }, async (request) => {
    if (!request.identity) throw unauthorized();
    return sellers.updateOwn(request.identity.id, request.body);
  });

  app.get('/api/sellers/me', {
    schema: {
      tags, summary: "The caller's own seller profile (seller, admin)",
      response: { 200: SellerView, 404: problem(404, 'No profile yet: the first item or PATCH /api/sellers/me creates it') },
    },
    preValidation: requireAuth('seller', 'admin'),
  }, async (request) => {
    if (!request.identity) throw unauthorized();
    return sellers.getOwn(request.identity.id);
  });

  app.get('/api/sellers/:id', {
    schema: { tags, summary: 'A public seller profile', params: IdParams, response: { 200: SellerView } },
  }, async (request) => sellers.get(request.params.id));
}

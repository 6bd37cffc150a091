import { JWKS_PATH } from '@shop/contracts/auth';
import type { App } from '@shop/kit';
import type { SigningKeys } from '../services/signing-keys.ts';
import { Jwks } from './schemas.ts';

/** The public keys that verify access tokens (current and recently retired), for the proxy and services. */
export async function jwksRoutes(app: App, { keys }: { keys: SigningKeys }): Promise<void> {
  app.get(JWKS_PATH, {
    schema: { tags: ['auth'], summary: 'JSON Web Key Set of the access-token signing keys', response: { 200: Jwks } },
  }, async (_request, reply) => reply.header('cache-control', 'public, max-age=60').send(await keys.jwks()));
}

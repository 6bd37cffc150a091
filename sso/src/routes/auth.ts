import { noContent, problem, problems, trimBodyFields, type App } from '@shop/kit';
import { adminRegistrationRefused, normalizeEmail, type AuthService } from '../services/auth.ts';
import { LoginBody, RefreshBody, RegisterBody, TokenPairView, UserView } from './schemas.ts';

/** Before validation: emails are compared trimmed and lower-cased. Names are trimmed after it (trimName). */
async function normalizeIdentity(request: { body: unknown }): Promise<void> {
  const body = request.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  if (typeof body.email === 'string') body.email = normalizeEmail(body.email);
  if (body.role === 'admin') throw adminRegistrationRefused(); // a clearer answer than the schema's enum
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(authorization ?? '')?.[1];
}

const tags = ['auth'];

export async function authRoutes(app: App, { auth }: { auth: AuthService }): Promise<void> {
  app.post('/api/auth/register', {
    schema: { tags, summary: 'Create an account (customer or seller)', body: RegisterBody, response: { 201: UserView, ...problems([409, 'An account with this email exists']) } },
    preValidation: normalizeIdentity,
    preHandler: trimBodyFields('name'), // after validation: the limits apply to the name as sent
  }, async (request, reply) => reply.code(201).send(await auth.register(request.body)));

  app.post('/api/auth/login', {
    schema: { tags, summary: 'Sign in: an access token and a refresh token', body: LoginBody,
      response: {
        200: TokenPairView, 401: problem(401, 'Wrong email or password'),
        429: problem(429, 'Too many failed sign-ins for this account or address', { 'retry-after': { type: 'string', description: 'seconds' } }),
      },
    },
    preValidation: normalizeIdentity,
  }, async (request, reply) => {
    const pair = await auth.login(request.body, request.ip);
    return reply.header('cache-control', 'no-store').send(pair);
  });

  app.post('/api/auth/refresh', {
    schema: { tags, summary: 'Exchange a refresh token for a new pair (the old one stops working)', body: RefreshBody, response: { 200: TokenPairView, 401: problem(401, 'The refresh token is unknown, expired, rotated or revoked') } },
  }, async (request, reply) => {
    const pair = await auth.refresh(request.body.refreshToken);
    return reply.header('cache-control', 'no-store').send(pair);
  });

  app.post('/api/auth/logout', {
    schema: { tags, summary: 'Sign out: revokes the session of this refresh token', body: RefreshBody, response: { 204: noContent('Signed out (also for an unknown token)') } },
  }, async (request, reply) => {
    await auth.logout(request.body.refreshToken);
    return reply.code(204).send();
  });

  app.get('/api/auth/me', {
    schema: {
      tags, summary: 'The caller (Authorization: Bearer <access token>)', security: [{ bearer: [] }],
      response: { 200: UserView, 401: problem(401, 'No token, or an invalid one'), 403: problem(403, 'A service token (it has no account)') },
    },
  }, async (request) => auth.me(bearerToken(request.headers.authorization)));
}

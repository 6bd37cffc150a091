import type { App } from '@shop/kit';
import { normalizeEmail, type AuthService } from '../services/auth.ts';
import { LoginBody, RefreshBody, RegisterBody, TokenPairView, UserView } from './schemas.ts';

/** Before validation: emails are compared trimmed and lower-cased, names trimmed (so "   " is empty). */
async function normalizeIdentity(request: { body: unknown }): Promise<void> {
  const body = request.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  if (typeof body.email === 'string') body.email = normalizeEmail(body.email);
  if (typeof body.name === 'string') body.name = body.name.trim();
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(authorization ?? '')?.[1];
}

const tags = ['auth'];

export async function authRoutes(app: App, { auth }: { auth: AuthService }): Promise<void> {
  app.post('/api/auth/register', {
    schema: { tags, summary: 'Create an account (customer or seller)', body: RegisterBody, response: { 201: UserView } },
    preValidation: normalizeIdentity,
  }, async (request, reply) => reply.code(201).send(await auth.register(request.body)));

  app.post('/api/auth/login', {
    schema: { tags, summary: 'Sign in: an access token and a refresh token', body: LoginBody, response: { 200: TokenPairView } },
    preValidation: normalizeIdentity,
  }, async (request, reply) => {
    const pair = await auth.login(request.body, request.ip);
    return reply.header('cache-control', 'no-store').send(pair);
  });

  app.post('/api/auth/refresh', {
    schema: { tags, summary: 'Exchange a refresh token for a new pair (the old one stops working)', body: RefreshBody, response: { 200: TokenPairView } },
  }, async (request, reply) => {
    const pair = await auth.refresh(request.body.refreshToken);
    return reply.header('cache-control', 'no-store').send(pair);
  });

  app.post('/api/auth/logout', {
    schema: { tags, summary: 'Sign out: revokes the session of this refresh token', body: RefreshBody },
  }, async (request, reply) => {
    await auth.logout(request.body.refreshToken);
    return reply.code(204).send();
  });

  app.get('/api/auth/me', {
    schema: { tags, summary: 'The caller (Authorization: Bearer <access token>)', response: { 200: UserView } },
  }, async (request) => auth.me(bearerToken(request.headers.authorization)));
}

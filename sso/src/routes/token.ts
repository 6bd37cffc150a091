import { HttpProblem, PROBLEM_CONTENT_TYPE, badRequest, problem, type App, type ResponseHeaderSpec } from '@shop/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CLIENT_CHALLENGE, type ClientCredentialsService, type OAuthError } from '../services/client-credentials.ts';
import { TOKEN_REQUEST_FIELDS, TokenRequestBody, TokenResponseView } from './schemas.ts';

const FORM = 'application/x-www-form-urlencoded';
const recognized = new Set(TOKEN_REQUEST_FIELDS);

/**
 * RFC 6749 §3.2: unrecognized parameters are ignored and parameters without a value count as omitted;
 * a parameter sent twice stays an array, which the schema refuses (invalid_request).
 */
function parseForm(_request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (!recognized.has(key) || value === '') continue;
    const previous = out[key];
    out[key] = previous === undefined ? value : [previous].flat().concat(value);
  }
  done(null, out);
}

/** The RFC 6749 §5.2 code of a problem the route did not code itself (validation, framework 4xx). */
function errorCodeOf(status: number, problem: { errors?: { pointer?: string; message?: string }[] }): OAuthError | undefined {
  if (status === 401) return 'invalid_client';
  if (status !== 400 && status !== 413 && status !== 415) return undefined;
  const about = (pointer: string) => problem.errors?.find((e) => e.pointer === pointer && !/required property/.test(e.message ?? ''));
  if (about('/grant_type')) return 'unsupported_grant_type';
  if (about('/scope')) return 'invalid_scope'; // malformed (RFC 6749 §5.2)
  return 'invalid_request';
}

/** Every error of the token endpoint carries its RFC 6749 `error` code, and a 401 the Basic challenge. */
async function oauthErrors(_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode < 400 || typeof payload !== 'string' || !String(reply.getHeader('content-type')).startsWith(PROBLEM_CONTENT_TYPE)) return payload;
  const body = JSON.parse(payload) as Record<string, unknown>;
  if (body.error !== undefined) return payload;
  const error = errorCodeOf(reply.statusCode, body);
  if (error === undefined) return payload;
  if (reply.statusCode === 401) reply.header('www-authenticate', CLIENT_CHALLENGE);
  return JSON.stringify({ ...body, error, ...(typeof body.detail === 'string' ? { error_description: body.detail } : {}) });
}

const oauthProblem = (status: number, description: string, headers?: Record<string, ResponseHeaderSpec>) => ({
  ...problem(status, description, headers),
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { allOf: [{ $ref: 'Problem#' }, { type: 'object', required: ['error'], properties: { error: { type: 'string' }, error_description: { type: 'string' } } }] } } },
});

/**
 * The body schemas are per media type, and Fastify validates none when the request has no body or one
 * of another type: both are refused here, before validation.
 */
async function bodyRequired(request: FastifyRequest): Promise<void> {
  const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (request.body === undefined || request.body === null) {
    throw badRequest(`A body is required: ${FORM} (or application/json) with grant_type=client_credentials`, [
      { location: 'body', pointer: '', message: 'is required' },
    ]);
  }
  if (type !== FORM && type !== 'application/json') throw new HttpProblem(415, `The body must be ${FORM} or application/json`);
}

/** `POST /api/auth/token`: the client credentials grant for service clients (RFC 6749 §4.4). */
export async function tokenRoutes(app: App, { clients }: { clients: ClientCredentialsService }): Promise<void> {
  app.addContentTypeParser(FORM, { parseAs: 'string' }, parseForm);
  app.post('/api/auth/token', {
    schema: {
      tags: ['auth'],
      summary: 'A service access token (OAuth 2.0 client credentials; client authentication by HTTP Basic or in the body)',
      body: { content: { [FORM]: { schema: TokenRequestBody }, 'application/json': { schema: TokenRequestBody } } },
      response: {
        200: TokenResponseView,
        400: oauthProblem(400, 'invalid_request, unsupported_grant_type or invalid_scope (in error)'),
        401: oauthProblem(401, 'invalid_client: no, unknown, wrong or disabled client credentials', { 'www-authenticate': { type: 'string', description: CLIENT_CHALLENGE } }),
        429: problem(429, 'Too many failed client authentications for this client or address', { 'retry-after': { type: 'string', description: 'seconds' } }),
      },
    },
    preValidation: bodyRequired,
    onSend: oauthErrors,
  }, async (request, reply) => {
    const body = request.body as { client_id?: string; client_secret?: string; scope?: string };
    const answer = await clients.issue({
      authorization: request.headers.authorization, clientId: body.client_id, clientSecret: body.client_secret, scope: body.scope,
    }, request.ip);
    // RFC 6749 §5.1: the answer must not be cached.
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(answer);
  });
}

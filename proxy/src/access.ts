import { HttpProblem, requireAuth } from '@shop/kit';
import type { FastifyRequest } from 'fastify';

const READ = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Writes anyone may make: they create or hold their own credentials. */
const PUBLIC_WRITES = new Set(['/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/auth/logout']);
/** Reads that are about the caller, so they need a token. */
const PRIVATE_READS = [/^\/api\/auth\/me(\/|$)/];

export function isPublic(method: string, path: string): boolean {
  if (READ.has(method)) return !PRIVATE_READS.some((re) => re.test(path));
  return method === 'POST' && PUBLIC_WRITES.has(path);
}

const signedIn = requireAuth();

/**
 * The proxy's gate: public routes pass, everything else needs a verified access token. The owning
 * service checks roles and ownership again, so nothing is gained by reaching a service directly.
 */
export async function accessPolicy(request: FastifyRequest): Promise<void> {
  const path = request.url.split('?')[0]!;
  if (!isPublic(request.method, path)) await signedIn(request, undefined as never);
}

/** Bodies are streamed to the services, so the size limit is checked here from Content-Length. */
export function bodyLimitFor(limits: { upload: number; body: number }) {
  return async (request: FastifyRequest): Promise<void> => {
    if (READ.has(request.method)) return;
    const path = request.url.split('?')[0]!;
    const limit = /^\/api\/items\/[^/]+\/images$/.test(path) ? limits.upload : limits.body;
    const length = request.headers['content-length'];
    if (length === undefined) {
      if (request.headers['transfer-encoding']) {
        throw new HttpProblem(411, 'send a Content-Length header: bodies are size-checked before they are forwarded');
      }
      return;
    }
    if (!/^\d+$/.test(length)) throw new HttpProblem(400, 'Content-Length is not a number');
    if (Number(length) > limit) throw new HttpProblem(413, `the body is ${length} bytes; the limit for ${path} is ${limit} bytes`);
  };
}

import { HttpProblem, unauthorized } from '@shop/kit';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

const READ = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Writes anyone may make: they create or hold their own credentials; and activity collection, where an anonymous
 * shopper's events carry an anonymous id instead of a token (analytics checks both).
 */
const PUBLIC_WRITES = new Set(['/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/auth/logout', '/api/auth/token', '/api/activity']);
/** Reads that are about the caller, so they need a token. */
const PRIVATE_READS = [/^\/api\/auth\/me(\/|$)/];
const UPLOAD = /^\/api\/items\/[^/]+\/images$/;
const DIGITS = /^\d+$/;

/** The path without the query string. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function isPublic(method: string, path: string): boolean {
  if (READ.has(method)) return !PRIVATE_READS.some((re) => re.test(path));
  return method === 'POST' && PUBLIC_WRITES.has(path);
}

/**
 * Bodies are streamed to the services, so the size limit is checked here from Content-Length:
 * undefined when the body may pass, otherwise the problem to answer.
 */
export function bodyProblem(request: FastifyRequest, path: string, limits: { upload: number; body: number }): HttpProblem | undefined {
  const limit = UPLOAD.test(path) ? limits.upload : limits.body;
  const length = request.headers['content-length'];
  if (length === undefined) {
    if (request.headers['transfer-encoding']) {
      return new HttpProblem(411, 'send a Content-Length header: bodies are size-checked before they are forwarded');
    }
    return undefined;
  }
  if (!DIGITS.test(length)) return new HttpProblem(400, 'Content-Length is not a number');
  if (Number(length) > limit) return new HttpProblem(413, `the body is ${length} bytes; the limit for ${path} is ${limit} bytes`);
  return undefined;
}

/**
 * The proxy's gate (onRequest, after the token was verified): public routes pass, everything else
 * needs a verified access token, and bodies must fit their limit. The owning service checks roles
 * and ownership again, so nothing is gained by reaching a service directly.
 */
export function gate(limits: { upload: number; body: number }) {
  return function gate(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const { method } = request;
    const path = pathOf(request.url);
    if (!isPublic(method, path) && !request.identity) return done(unauthorized());
    if (!READ.has(method)) {
      const problem = bodyProblem(request, path, limits);
      if (problem) return done(problem);
    }
    done();
  };
}

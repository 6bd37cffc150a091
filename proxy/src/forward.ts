import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { sendProblem, type App } from '@shop/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Pool, type Dispatcher } from 'undici';
import type { Upstream } from './upstreams.ts';

/**
 * Methods the proxy forwards to the owning service (one place: a method added here reaches every
 * service, which then answers it itself, e.g. 405 with Allow).
 */
export const FORWARDED_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS', 'TRACE', 'QUERY'];

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_HTTP2_STREAM_CANCEL']);
const TIMED_OUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** 503 when the service cannot be reached, 504 when it did not answer in time, 502 otherwise. */
export function upstreamStatus(error: unknown): 502 | 503 | 504 {
  const err = error as { statusCode?: number; code?: string; cause?: { code?: string; cause?: { code?: string } } };
  const codes = [err.code, err.cause?.code, err.cause?.cause?.code];
  if (err.statusCode === 504 || codes.some((c) => c !== undefined && TIMED_OUT.has(c))) return 504;
  if (codes.some((c) => c !== undefined && UNREACHABLE.has(c)) || err.statusCode === 503) return 503;
  return 502;
}

/** Headers a client could use to pose as someone; identity only ever comes from a verified token. */
const SPOOFABLE = /^x-(user|auth|role|identity)(-|$)/;

/**
 * Request headers that concern only the client's connection to the proxy (RFC 9110 §7.6.1), plus
 * `expect: 100-continue` (curl sends it for bodies over 1 MiB), which Node answered already, and
 * `host`, which becomes the service's. undici refuses most of them outright.
 */
const REQUEST_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect', 'host', 'http2-settings']);
/** Response headers that concern only the service's connection to the proxy. */
const RESPONSE_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** Header names a `Connection` header lists: hop-by-hop as well (`keep-alive`/`close` list none). */
function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined || value === 'keep-alive' || value === 'close') return undefined;
  const names = new Set<string>();
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = part.trim().toLowerCase();
    if (name) names.add(name);
  }
  return names;
}

/**
 * The headers the service gets: the client's minus hop-by-hop and identity-looking ones, plus the
 * request id, the client address (the proxy is the edge: its socket peer, never a header the client
 * sent) and the trace context of the proxy's span, which the service continues.
 */
export function forwardedHeaders(request: FastifyRequest): Record<string, string | string[]> {
  const incoming = request.headers;
  const listed = connectionListed(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    if (REQUEST_HOP_BY_HOP.has(name) || (name.charCodeAt(0) === 120 /* x */ && SPOOFABLE.test(name)) || listed?.has(name)) continue;
    const value = incoming[name];
    if (value !== undefined) out[name] = value;
  }
  out['x-request-id'] = request.id;
  out['x-forwarded-for'] = request.ip;
  request.opentelemetry().inject(out);
  return out;
}

export interface ForwardOptions {
  timeoutMs: number;
  /** Headers every proxied answer carries (security headers); the service's own win. */
  staticHeaders: Record<string, string>;
}

/**
 * Streams one request to the service and its answer back, through a keep-alive pool. The answer is
 * written straight to the client socket (the reply is hijacked once the service's status line is
 * in); a failure before that is a problem+json 502/503/504, one after it cuts the connection.
 */
class Forwarding implements Dispatcher.DispatchHandler {
  readonly #request: FastifyRequest;
  readonly #reply: FastifyReply;
  readonly #upstream: Upstream;
  readonly #options: ForwardOptions;
  #started = false;

  constructor(request: FastifyRequest, reply: FastifyReply, upstream: Upstream, options: ForwardOptions) {
    this.#request = request;
    this.#reply = reply;
    this.#upstream = upstream;
    this.#options = options;
  }

  onRequestStart(): void {
    // Nothing to do before the request goes out (the method marks this as an undici 7 handler).
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx (103 Early Hints): not forwarded
    const reply = this.#reply;
    const res = reply.raw;
    if (res.destroyed) {
      controller.abort(new Error('the client went away'));
      return;
    }
    this.#started = true;
    reply.hijack();
    // One header object for one writeHead: security headers, then the proxy's own (request id,
    // rate limit, CORS), then the service's, minus its connection-level ones.
    const out: OutgoingHttpHeaders = { ...this.#options.staticHeaders, ...(reply.getHeaders() as OutgoingHttpHeaders) };
    const listed = connectionListed(headers.connection);
    for (const name in headers) {
      if (RESPONSE_HOP_BY_HOP.has(name) || listed?.has(name)) continue;
      out[name] = headers[name];
    }
    res.writeHead(statusCode, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const res = this.#reply.raw;
    if (res.destroyed) {
      controller.abort(new Error('the client went away'));
      return;
    }
    if (!res.write(chunk)) {
      controller.pause();
      res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.#reply.raw.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const reply = this.#reply;
    const upstream = this.#upstream.name;
    if (this.#started) {
      // The status line is out: all the client can be told is that the answer broke off.
      reply.log.warn({ err: error, upstream }, 'upstream failed while answering');
      reply.raw.destroy(error);
      return;
    }
    if (reply.raw.destroyed || reply.sent) return;
    const status = upstreamStatus(error);
    const { timeoutMs } = this.#options;
    const detail = status === 504 ? `${upstream} did not answer within ${timeoutMs} ms` : status === 503 ? `${upstream} is not reachable` : `${upstream} failed to answer`;
    reply.log.warn({ err: error, upstream }, 'upstream failure');
    const span = this.#request.opentelemetry().span;
    span?.setStatus({ code: 2 /* SpanStatusCode.ERROR */, message: detail });
    sendProblem(reply, {
      type: 'about:blank', title: status === 504 ? 'Gateway Timeout' : status === 503 ? 'Service Unavailable' : 'Bad Gateway',
      status, detail, instance: this.#request.url,
    });
  }
}

/** A request with a body to stream on: Content-Length above 0 (the body limit hook refused the rest). */
function hasBody(request: FastifyRequest): boolean {
  if (request.method === 'GET' || request.method === 'HEAD') return false;
  const length = request.headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * Routes every prefix of every service to it, path and query unchanged. Bodies are not parsed: they
 * stream to the service as they arrive.
 */
export async function registerForwarding(app: App, services: Upstream[], options: ForwardOptions): Promise<Pool[]> {
  const pools: Pool[] = [];
  // The proxy reads no bodies (they stream to the service), so QUERY is bodyless here: Fastify would
  // otherwise refuse one without Content-Type before the service could answer it (e.g. 405 + Allow).
  app.addHttpMethod('QUERY', { hasBody: false, overrideExisting: true });
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const upstream of services) {
      if (upstream.prefixes.length === 0) continue;
      const pool = new Pool(upstream.url, {
        connections: 128,
        pipelining: 1,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      pools.push(pool);
      const handler = (request: FastifyRequest, reply: FastifyReply): void => {
        const body = hasBody(request) ? request.raw : null;
        pool.dispatch(
          { origin: upstream.url, method: request.method as Dispatcher.HttpMethod, path: request.url, headers: forwardedHeaders(request), body },
          new Forwarding(request, reply, upstream, options),
        );
      };
      for (const prefix of upstream.prefixes) {
        for (const url of [prefix, `${prefix}/*`]) {
          scope.route({ method: upstream.methods ?? FORWARDED_METHODS, url, handler, schema: { hide: true } });
        }
      }
    }
    scope.addHook('onClose', async () => {
      await Promise.all(pools.map((p) => p.close()));
    });
  });
  return pools;
}

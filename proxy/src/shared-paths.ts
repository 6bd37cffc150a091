import { HttpProblem } from '@shop/kit';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { mergedOpenApi } from './docs.ts';
import type { Upstream } from './upstreams.ts';

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'trace'];

/**
 * 405 + Allow for the prefixes that several services share by method (/api/orders: loms's POSTs, the orders
 * service's GETs). Each service answers 405 only for its own paths; a method routed to the other service for a
 * path it does not know would be its 404 (POST /api/orders/{uid} at loms, GET /api/orders/{uid}/cancel at orders).
 * The table of documented methods per path comes from the services' OpenAPI documents (as merged for /docs),
 * refreshed at most every `refreshMs`; until it is loaded, requests pass untouched.
 */
export class SharedPathMethods {
  readonly #services: Upstream[];
  readonly #prefixes: string[];
  readonly #refreshMs: number;
  #table: { pattern: RegExp; static: boolean; methods: string[] }[] | undefined;
  #loadedAt = 0;
  #loading: Promise<void> | undefined;

  constructor(services: Upstream[], refreshMs = 30_000) {
    this.#services = services.filter((s) => s.methods && s.prefixes.length > 0);
    this.#prefixes = [...new Set(this.#services.flatMap((s) => s.prefixes))];
    this.#refreshMs = refreshMs;
  }

  /** Whether `path` is under a shared prefix. */
  covers(path: string): boolean {
    return this.#prefixes.some((p) => path === p || path.startsWith(`${p}/`));
  }

  /** Loads the table (the services' documents); a service that does not answer leaves the old table in place. */
  async load(): Promise<void> {
    const { complete, paths } = await mergedOpenApi(this.#services);
    if (!complete && this.#table) return;
    this.#table = Object.entries(paths ?? {}).map(([template, item]) => {
      const documented = METHODS.filter((m) => (item as Record<string, unknown>)[m] !== undefined).map((m) => m.toUpperCase());
      if (documented.includes('GET') && !documented.includes('HEAD')) documented.push('HEAD');
      const source = template.split('/').map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/');
      return { pattern: new RegExp(`^${source}$`), static: !template.includes('{'), methods: documented.sort() };
    });
    this.#loadedAt = Date.now();
  }

  #refresh(): void {
    if (this.#loading || Date.now() - this.#loadedAt < this.#refreshMs) return;
    this.#loadedAt = Date.now(); // one attempt per period, also when it fails
    this.#loading = this.load().catch(() => undefined).finally(() => {
      this.#loading = undefined;
    });
  }

  /** The methods documented for `path`, or undefined when no shared path matches (or nothing is loaded yet). */
  allowed(path: string): string[] | undefined {
    this.#refresh();
    const matches = (this.#table ?? []).filter((entry) => entry.pattern.test(path));
    if (matches.length === 0) return undefined;
    const exact = matches.filter((m) => m.static);
    return [...new Set((exact.length > 0 ? exact : matches).flatMap((m) => m.methods))].sort();
  }

  /** onRequest hook: 405 with Allow for a documented shared path and a method none of its services answers there. */
  hook() {
    return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
      // CORS preflights pass (the CORS plugin answers them); any other OPTIONS is a method like the rest: the services
      // sharing the path each know only their own methods, so the proxy answers with all of them.
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) return done();
      const path = request.url.split('?')[0]!;
      if (!this.covers(path)) return done();
      const allow = this.allowed(path);
      if (allow && !allow.includes(request.method)) {
        return done(new HttpProblem(405, `${path} does not answer ${request.method}; it answers ${allow.join(', ')}`, {
          type: 'urn:shop:problem:method-not-allowed', headers: { allow: allow.join(', ') },
        }));
      }
      done();
    };
  }
}

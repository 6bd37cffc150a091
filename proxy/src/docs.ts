import { problem, type App } from '@shop/kit';
import swaggerUi from '@fastify/swagger-ui';
import { isPublic } from './access.ts';
import type { Upstream } from './upstreams.ts';

interface OpenApiDoc {
  openapi?: string;
  info?: unknown;
  paths?: Record<string, unknown>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

const BODY_METHODS = new Set(['post', 'put', 'patch']);
const METHODS = new Set(['get', 'head', 'options', 'post', 'put', 'patch', 'delete', 'trace']);
const RETRY_AFTER = { 'retry-after': { description: 'seconds to wait', schema: { type: 'string' } } };

/** A problem response in OpenAPI form (the services' come from the kit's `problem()` through @fastify/swagger). */
function problemResponse(status: number, description?: string, headers?: Record<string, unknown>) {
  const { content, description: text } = problem(status, description);
  return { description: text, ...(headers ? { headers } : {}), content: { [Object.keys(content)[0]!]: { schema: { $ref: '#/components/schemas/Problem' } } } };
}

/**
 * What the proxy itself can answer on every operation: 401 for a missing (private routes) or invalid
 * token, 429 over the rate limit, 502/503/504 when the service fails, is down or is slow, and 411/413
 * for bodies without a length or over the limit. Private operations get the bearer requirement.
 */
export function addProxyResponses(path: string, item: Record<string, unknown>, limits: { body: number; upload: number }): void {
  for (const [method, operation] of Object.entries(item)) {
    if (!METHODS.has(method) || typeof operation !== 'object' || operation === null) continue;
    const op = operation as { responses?: Record<string, unknown>; security?: unknown; description?: string };
    const responses = (op.responses ??= {});
    const concretePath = path.replace(/\{[^}]+\}/g, 'x');
    const open = isPublic(method.toUpperCase(), concretePath);
    if (!open) op.security ??= [{ bearer: [] }];
    responses['401'] ??= problemResponse(401, open ? 'The token sent is invalid (none is needed)' : 'A token is missing or invalid');
    responses['429'] ??= problemResponse(429, undefined, RETRY_AFTER);
    responses['502'] ??= problemResponse(502);
    responses['503'] ??= problemResponse(503);
    responses['504'] ??= problemResponse(504);
    if (BODY_METHODS.has(method)) {
      const upload = /^\/api\/items\/[^/]+\/images$/.test(concretePath);
      responses['411'] ??= problemResponse(411);
      responses['413'] ??= problemResponse(413, `The body is over ${upload ? limits.upload : limits.body} bytes (or a service limit)`);
    }
  }
}

/** One OpenAPI document from the services' own, restricted to the paths each one owns publicly. */
export async function mergedOpenApi(services: Upstream[], limits = { body: 1_048_576, upload: 10_485_760 }, timeoutMs = 2_000): Promise<OpenApiDoc & { complete: boolean }> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const missing: string[] = [];
  await Promise.all(services.filter((s) => s.prefixes.length > 0).map(async (s) => {
    try {
      const res = await fetch(new URL('/openapi.json', s.url), { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`${s.name} answered ${res.status}`);
      const doc = (await res.json()) as OpenApiDoc;
      // Only the methods the proxy routes to this service (two services may share a path: loms's POST
      // /api/orders, the orders service's GET); their operations go into one path item.
      const owned = s.methods?.map((m) => m.toLowerCase());
      for (const [path, item] of Object.entries(doc.paths ?? {})) {
        if (!s.prefixes.some((p) => path === p || path.startsWith(`${p}/`))) continue;
        const own = Object.fromEntries(Object.entries(item as Record<string, unknown>).filter(([key]) => !owned || !METHODS.has(key) || owned.includes(key)));
        if (!Object.keys(own).some((key) => METHODS.has(key))) continue;
        addProxyResponses(path, own, limits);
        paths[path] = { ...(paths[path] as Record<string, unknown> | undefined), ...own };
      }
      Object.assign(schemas, doc.components?.schemas ?? {});
    } catch {
      missing.push(s.name);
    }
  }));
  return {
    complete: missing.length === 0,
    openapi: '3.1.0',
    info: { title: 'Shop storefront API', version: '1.0.0', description: missing.length ? `Not available right now: ${missing.join(', ')}` : undefined } as never,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

/** `GET /docs` (Swagger UI) and `GET /docs/openapi.json`, refreshed from the services at most every 30 s. */
export async function registerDocs(app: App, services: Upstream[], limits: { body: number; upload: number }): Promise<void> {
  let cached: { doc: OpenApiDoc; at: number } | undefined;
  const current = async () => {
    if (!cached || Date.now() - cached.at > 30_000) {
      const { complete, ...doc } = await mergedOpenApi(services, limits);
      // A document missing a service (down, restarting) is served but not kept: the next request asks again.
      if (!complete) return doc;
      cached = { doc, at: Date.now() };
    }
    return cached.doc;
  };
  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => current());
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { url: '/docs/openapi.json' } as never,
    staticCSP: true,
  });
}

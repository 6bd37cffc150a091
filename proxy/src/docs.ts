import type { App } from '@shop/kit';
import swaggerUi from '@fastify/swagger-ui';
import type { Upstream } from './upstreams.ts';

interface OpenApiDoc {
  openapi?: string;
  info?: unknown;
  paths?: Record<string, unknown>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

/** One OpenAPI document from the services' own, restricted to the paths each one owns publicly. */
export async function mergedOpenApi(services: Upstream[], timeoutMs = 2_000): Promise<OpenApiDoc> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const missing: string[] = [];
  await Promise.all(services.filter((s) => s.prefixes.length > 0).map(async (s) => {
    try {
      const res = await fetch(new URL('/openapi.json', s.url), { signal: AbortSignal.timeout(timeoutMs) });
      const doc = (await res.json()) as OpenApiDoc;
      for (const [path, item] of Object.entries(doc.paths ?? {})) {
        if (s.prefixes.some((p) => path === p || path.startsWith(`${p}/`))) paths[path] = item;
      }
      Object.assign(schemas, doc.components?.schemas ?? {});
    } catch {
      missing.push(s.name);
    }
  }));
  return {
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
export async function registerDocs(app: App, services: Upstream[]): Promise<void> {
  let cached: { doc: OpenApiDoc; at: number } | undefined;
  const current = async () => {
    if (!cached || Date.now() - cached.at > 30_000) cached = { doc: await mergedOpenApi(services), at: Date.now() };
    return cached.doc;
  };
  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => current());
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { url: '/docs/openapi.json' } as never,
    staticCSP: true,
  });
}

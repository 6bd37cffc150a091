import type { App } from '@shop/kit';
import type { Upstream } from './upstreams.ts';

interface ServiceHealth {
  status: 'up' | 'down';
  url: string;
  checks?: unknown;
  error?: string;
}

async function readiness(upstream: Upstream, timeoutMs: number): Promise<ServiceHealth> {
  try {
    const res = await fetch(new URL('/health/ready', upstream.url), { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => ({}))) as { checks?: unknown };
    return { status: res.ok ? 'up' : 'down', url: upstream.url, checks: body.checks };
  } catch (err) {
    return { status: 'down', url: upstream.url, error: (err as Error).message };
  }
}

/** `GET /health`: every service's readiness in one answer; 503 unless all are up. */
export function registerHealthAggregate(app: App, services: Upstream[], timeoutMs = 2_500): void {
  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    const own = await app.health.run();
    const results = await Promise.all(services.map(async (s) => [s.name, await readiness(s, timeoutMs)] as const));
    const all: Record<string, ServiceHealth> = {
      proxy: { status: own.ready ? 'up' : 'down', url: 'self', checks: own.checks },
      ...Object.fromEntries(results),
    };
    const ready = Object.values(all).every((s) => s.status === 'up');
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'fail', services: all };
  });
}

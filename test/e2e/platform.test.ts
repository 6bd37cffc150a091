// End to end through the proxy, against the services and infrastructure ./make.sh started.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
/** Every service ./make.sh starts, with its port (make.sh's PORTS table): the proxy's /health and Prometheus must cover them all. */
const SERVICES: Record<string, number> = Object.fromEntries(
  [...(/declare -A PORTS=\(([^)]*)\)/.exec(readFileSync(new URL('../../make.sh', import.meta.url), 'utf8'))?.[1] ?? '').matchAll(/\[([\w-]+)\]=(\d+)/g)]
    .map((m) => [m[1]!, Number(m[2])]),
);

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function logLines(service: string): Record<string, unknown>[] {
  const logs = process.env.SHOP_LOGS;
  assert.ok(logs, 'SHOP_LOGS is set by ./make.sh test');
  return readFileSync(join(logs, `${service}.log`), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('platform through the proxy', () => {
  it('knows the services from make.sh', () => {
    assert.ok(Object.keys(SERVICES).length >= 12, JSON.stringify(SERVICES));
    assert.equal(SERVICES.proxy, 8080);
  });

  it('reports every service ready in GET /health', async () => {
    const res = await fetch(`${PROXY}/health`);
    const body = (await res.json()) as { status: string; services: Record<string, { status: string; checks: Record<string, { status: string }> }> };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body.services).sort(), Object.keys(SERVICES).sort());
    for (const [name, s] of Object.entries(body.services)) assert.equal(s.status, 'up', `${name}: ${JSON.stringify(s)}`);
    // Readiness checks what each service really depends on.
    assert.deepEqual(Object.keys(body.services.sso!.checks).sort(), ['kafka', 'outbox', 'postgres', 'redis', 'signing-key']);
    assert.deepEqual(Object.keys(body.services['item-crud']!.checks).sort(), ['kafka', 'minio', 'outbox', 'postgres', 'review-summaries consumer']);
    assert.deepEqual(Object.keys(body.services['item-etl']!.checks).sort(), ['consumer', 'elasticsearch', 'kafka', 'postgres']);
    assert.deepEqual(Object.keys(body.services.search!.checks).sort(), ['elasticsearch', 'items-index', 'redis']);
    assert.deepEqual(Object.keys(body.services.facade!.checks).sort(), ['elasticsearch', 'kafka', 'minio', 'redis']);
    assert.deepEqual(Object.keys(body.services.cart!.checks).sort(), ['redis']);
    assert.deepEqual(Object.keys(body.services.loms!.checks).sort(), ['kafka', 'outbox', 'postgres']);
    assert.deepEqual(Object.keys(body.services.notifier!.checks).sort(), ['kafka', 'order-events consumer', 'orders consumer', 'postgres']);
    // Redis is the orders service's cache, not a dependency of its answers (PostgreSQL answers when it is down).
    assert.deepEqual(Object.keys(body.services.orders!.checks).sort(), ['cache warm-up', 'kafka', 'order-events consumer', 'orders consumer', 'postgres']);
    assert.deepEqual(Object.keys(body.services.analytics!.checks).sort(), [
      'item-events consumer', 'kafka', 'order-events consumer', 'outbox', 'postgres', 'review-summaries consumer', 'user-activity consumer', 'user-events consumer',
    ]);
  });

  it('answers unknown paths with a problem+json 404', async () => {
    const res = await fetch(`${PROXY}/no/such/path`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = (await res.json()) as { status: number; title: string };
    assert.equal(body.status, 404);
  });

  it('forwards the request id and the trace context to the service that answers', async () => {
    const requestId = `e2e-${Date.now()}`;
    const traceId = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const res = await fetch(`${PROXY}/api/search/nothing-here-yet`, {
      headers: { 'x-request-id': requestId, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    assert.equal(res.headers.get('x-request-id'), requestId);
    const line = await eventually('the search service to log the request', async () =>
      logLines('search').find((l) => l.requestId === requestId));
    assert.equal(line.traceId, traceId, 'the search service continues the caller trace');
    assert.equal(line.service, 'search');
    // Each service's log lines leave in batches (up to 250 ms apart): the proxy's line may come later than search's.
    const proxyLine = await eventually('the proxy to log the request', async () =>
      logLines('proxy').find((l) => l.requestId === requestId));
    assert.equal(proxyLine.traceId, traceId, 'the proxy logs the caller trace');
  });

  it('serves Prometheus metrics on every service, and Prometheus scrapes them all', async () => {
    for (const [name, port] of Object.entries(SERVICES)) {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200, name);
      const text = await res.text();
      assert.match(text, new RegExp(`http_requests_total\\{.*service="${name}"`), name);
    }
    const prometheus = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
    const up = await eventually('Prometheus to scrape every service', async () => {
      const res = await fetch(`${prometheus}/api/v1/query?query=up`);
      const body = (await res.json()) as { data: { result: { metric: { job: string }; value: [number, string] }[] } };
      const upJobs = body.data.result.filter((r) => r.value[1] === '1').map((r) => r.metric.job);
      return Object.keys(SERVICES).every((s) => upJobs.includes(s)) ? upJobs : undefined;
    }, 30_000);
    assert.ok(up.length >= Object.keys(SERVICES).length);
  });
});

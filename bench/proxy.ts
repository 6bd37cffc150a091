// Proxy overhead: an authenticated read through the proxy vs. the same request sent directly to the
// service, and the proxy with vs. without a token, at the same concurrency, in one run.
// Needs ./make.sh up. Starts its own proxy process (port 18080) with a rate limit high enough not to
// interfere; everything else (Redis-backed rate limiting, JWT verification) is as in production.
// Usage: node bench/proxy.ts [--connections 16] [--seconds 10]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { load } from './load.ts';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '16' }, seconds: { type: 'string', default: '10' } } });
const connections = Number(values.connections);
const durationMs = Number(values.seconds) * 1000;
const SSO = 'http://127.0.0.1:8081';
const PORT = 18080;
const PROXY = `http://127.0.0.1:${PORT}`;

const proxy = spawn(process.execPath, ['proxy/src/main.ts'], {
  env: {
    ...process.env, PORT: String(PORT), LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '1000000000',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', SSO_URL: SSO, ITEM_CRUD_URL: 'http://127.0.0.1:8082',
    ITEM_ETL_URL: 'http://127.0.0.1:8083', SEARCH_URL: 'http://127.0.0.1:8084', FACADE_URL: 'http://127.0.0.1:8085',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
try {
  for (let i = 0; ; i++) {
    const ok = await fetch(`${PROXY}/health/live`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 100) throw new Error('bench proxy did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const email = `bench-${randomUUID()}@example.com`;
  const password = 'benchmark password 1';
  const post = (path: string, body: unknown) => fetch(`${SSO}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/api/auth/register', { email, password, name: 'Bench' });
  const { accessToken } = (await (await post('/api/auth/login', { email, password })).json()) as { accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}` };

  const opts = { connections, durationMs };
  const direct = await load({ ...opts, url: `${SSO}/api/auth/me`, headers: auth });
  const proxied = await load({ ...opts, url: `${PROXY}/api/auth/me`, headers: auth });
  const publicNoToken = await load({ ...opts, url: `${PROXY}/.well-known/jwks.json` });
  const publicWithToken = await load({ ...opts, url: `${PROXY}/.well-known/jwks.json`, headers: auth });
  const round = (n: number) => Math.round(n * 1000) / 1000;
  console.log(JSON.stringify({
    benchmark: 'proxy-overhead',
    connections, seconds: durationMs / 1000,
    authenticatedRead: {
      route: 'GET /api/auth/me',
      direct, proxied,
      p50OverheadMs: round(proxied.p50Ms - direct.p50Ms),
      p99OverheadMs: round(proxied.p99Ms - direct.p99Ms),
      throughputRatio: round(proxied.rps / direct.rps),
      goals: { p50OverheadMsBelow: 1, throughputRatioAtLeast: 0.4 },
    },
    tokenCost: {
      route: 'GET /.well-known/jwks.json through the proxy',
      withoutToken: publicNoToken, withToken: publicWithToken,
      p50DeltaMs: round(publicWithToken.p50Ms - publicNoToken.p50Ms),
    },
  }, null, 2));
} finally {
  proxy.kill('SIGTERM');
}

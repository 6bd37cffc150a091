// Forwarding against a stand-in service (a plain HTTP server): what the service gets, what the client
// gets back, bodies both ways, failures. Needs Redis (the rate limit), like the proxy itself.
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { buildService } from '../src/app.ts';

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; bodyBytes: number }

let upstream: Server;
let seen: Seen[] = [];
let answer: (req: IncomingMessage, res: ServerResponse, bodyBytes: number) => void = (_req, res) => res.end();
let proxy: Awaited<ReturnType<typeof buildService>>;
let base: string;

before(async () => {
  upstream = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, bodyBytes });
      answer(req, res, bodyBytes);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  proxy = await buildService({
    ...process.env, LOG_LEVEL: 'silent', PORT: '18099', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    RATE_LIMIT_MAX: '1000', UPSTREAM_TIMEOUT_MS: '2000',
    SSO_URL: url, ITEM_CRUD_URL: url, ITEM_ETL_URL: url, SEARCH_URL: url, FACADE_URL: url,
  });
  await proxy.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(proxy.app.server.address() as { port: number }).port}`;
});
after(async () => {
  await proxy.app.close();
  upstream.close();
});

describe('forwarding to a service', () => {
  it('passes the request on with the proxy\'s headers and without hop-by-hop or identity-looking ones', async () => {
    seen = [];
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'x-hop', 'x-hop': 'secret', 'x-service': 'yes' });
      res.end('{"ok":true}');
    };
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    // node:http, because fetch would not send a Connection header of the client's choosing.
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${base}/api/categories?x=1`, {
        headers: {
          'x-request-id': 'fwd-test-1', traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-user-id': 'admin', 'x-role': 'admin',
          'x-forwarded-for': '6.6.6.6', connection: 'keep-alive, x-client-hop', 'x-client-hop': 'drop me', accept: 'application/json',
        },
      }, resolve).on('error', reject).end();
    });
    assert.equal(res.statusCode, 200);
    let text = '';
    for await (const chunk of res) text += String(chunk);
    assert.deepEqual(JSON.parse(text), { ok: true });
    const got = seen[0]!;
    assert.equal(got.url, '/api/categories?x=1', 'path and query unchanged');
    assert.equal(got.headers['x-request-id'], 'fwd-test-1');
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1', 'the socket peer, not the client\'s claim');
    assert.match(String(got.headers.traceparent ?? ''), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'the proxy span continues the caller trace');
    assert.doesNotMatch(String(got.headers.traceparent ?? ''), /00f067aa0ba902b7/, 'the service continues the proxy span, not the caller');
    assert.equal(got.headers['x-user-id'], undefined);
    assert.equal(got.headers['x-role'], undefined);
    assert.equal(got.headers['x-client-hop'], undefined, 'headers the Connection header lists stay at the proxy');
    assert.equal(got.headers.accept, 'application/json');
    assert.equal(res.headers['x-request-id'], 'fwd-test-1');
    assert.equal(res.headers['x-service'], 'yes');
    assert.equal(res.headers['x-hop'], undefined, 'the service\'s hop-by-hop headers stay at the proxy');
    assert.equal(res.headers['x-content-type-options'], 'nosniff', 'security headers');
    assert.equal(res.headers['x-ratelimit-limit'], '1000');
  });

  it('streams request bodies to the service and answers back; HEAD has no body', async () => {
    seen = [];
    answer = (req, res, bodyBytes) => {
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'text/plain', 'content-length': String(String(bodyBytes).length) });
      res.end(req.method === 'HEAD' ? undefined : String(bodyBytes));
    };
    const body = 'x'.repeat(300_000);
    const token = { authorization: 'Bearer not.a-token.at-all' };
    // Without a valid token the gate answers 401 before anything is forwarded.
    const refused = await fetch(`${base}/api/items`, { method: 'POST', body, headers: token });
    assert.equal(refused.status, 401);
    assert.equal(seen.length, 0);
    // A public write passes the gate: its body reaches the service whole.
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 201);
    assert.equal(await res.text(), '300000');
    assert.equal(seen[0]!.bodyBytes, 300_000);
    const head = await fetch(`${base}/api/categories`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('passes a service\'s own 503 through once (no retries) and turns a broken connection into a 502', async () => {
    seen = [];
    answer = (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' });
      res.end('{"status":503}');
    };
    const unavailable = await fetch(`${base}/api/search?q=x`);
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.headers.get('retry-after'), '1');
    await unavailable.text();
    assert.equal(seen.length, 1);
    answer = (req) => req.socket.destroy();
    const broken = await fetch(`${base}/api/products/1`);
    assert.equal(broken.status, 502);
    assert.match(broken.headers.get('content-type') ?? '', /problem\+json/);
    assert.match((await broken.json() as { detail: string }).detail, /facade failed to answer/);
  });

  it('answers a body without a length with 411 and one over the limit with 413, before the service sees it', async () => {
    seen = [];
    const chunked = await fetch(`${base}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, duplex: 'half',
      body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('{}')); c.close(); } }),
    } as RequestInit);
    assert.equal(chunked.status, 411);
    const big = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(big.status, 413);
    assert.equal(seen.length, 0);
  });
});

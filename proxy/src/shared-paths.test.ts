import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { SharedPathMethods } from './shared-paths.ts';

const op = { responses: { 200: { description: 'ok' } } };
const docs = {
  writes: { paths: { '/api/orders': { post: op }, '/api/orders/{uid}/cancel': { post: op } } },
  reads: { paths: { '/api/orders': { get: op }, '/api/orders/{uid}': { get: op } } },
};
const servers: Server[] = [];
const urls: Record<string, string> = {};

before(async () => {
  for (const [name, doc] of Object.entries(docs)) {
    const server = createServer((_req, res) => res.end(JSON.stringify(doc)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
});
after(() => {
  for (const server of servers) server.close();
});

const table = () => new SharedPathMethods([
  { name: 'writes', url: urls.writes!, prefixes: ['/api/orders'], methods: ['POST'] },
  { name: 'reads', url: urls.reads!, prefixes: ['/api/orders'], methods: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'] },
  { name: 'other', url: 'http://127.0.0.1:9', prefixes: ['/api/items'] },
]);

describe('shared-path methods', () => {
  it('knows the methods of each documented shared path across its services', async () => {
    const t = table();
    assert.equal(t.allowed('/api/orders'), undefined, 'nothing before the first load');
    await t.load();
    assert.deepEqual(t.allowed('/api/orders'), ['GET', 'HEAD', 'POST']);
    assert.deepEqual(t.allowed('/api/orders/abc'), ['GET', 'HEAD']);
    assert.deepEqual(t.allowed('/api/orders/abc/cancel'), ['POST']);
    assert.equal(t.allowed('/api/orders/abc/unknown'), undefined);
    assert.equal(t.covers('/api/items/1'), false);
  });

  it('answers 405 with Allow for a method no service answers on the path (OPTIONS too, but for CORS preflights), and lets the rest through', async () => {
    const t = table();
    await t.load();
    const app = Fastify();
    app.addHook('onRequest', t.hook());
    app.all('/*', async () => 'forwarded');
    const preflight = { origin: 'https://shop.example', 'access-control-request-method': 'POST' };
    const cases: [string, string, number, string?, Record<string, string>?][] = [
      ['POST', '/api/orders/abc', 405, 'GET, HEAD'], ['GET', '/api/orders/abc/cancel', 405, 'POST'], ['DELETE', '/api/orders', 405, 'GET, HEAD, POST'],
      ['OPTIONS', '/api/orders', 405, 'GET, HEAD, POST'], ['OPTIONS', '/api/orders/abc', 405, 'GET, HEAD'],
      ['GET', '/api/orders/abc', 200], ['POST', '/api/orders/abc/cancel', 200], ['OPTIONS', '/api/orders/abc', 200, undefined, preflight],
      ['GET', '/api/orders/a/b/c', 200], ['DELETE', '/api/items/1', 200],
    ];
    for (const [method, url, status, allow, headers] of cases) {
      const res = await app.inject({ method: method as 'GET', url, headers });
      assert.equal(res.statusCode, status, `${method} ${url}`);
      if (allow) assert.equal(res.headers.allow, allow, `${method} ${url}`);
    }
    await app.close();
  });
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { mergedOpenApi } from './docs.ts';

const op = (summary: string) => ({ summary, responses: { 200: { description: 'ok' } } });
const docs: Record<string, unknown> = {
  writes: { paths: { '/api/orders': { post: op('place') }, '/api/orders/{uid}/cancel': { post: op('cancel') } } },
  reads: { paths: { '/api/orders': { get: op('list') }, '/api/orders/{uid}': { get: op('one') }, '/orders/lookup': { get: op('page') } } },
};
const servers: Server[] = [];
const urls: Record<string, string> = {};

before(async () => {
  for (const [name, doc] of Object.entries(docs)) {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(doc));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
});
after(() => {
  for (const server of servers) server.close();
});

describe('merged OpenAPI', () => {
  it('keeps the operations of two services on one path, each only for the methods routed to it', async () => {
    const merged = await mergedOpenApi([
      { name: 'writes', url: urls.writes!, prefixes: ['/api/orders'], methods: ['POST'] },
      { name: 'reads', url: urls.reads!, prefixes: ['/api/orders', '/orders/lookup'], methods: ['GET', 'HEAD', 'DELETE'] },
    ]);
    const paths = merged.paths as Record<string, Record<string, { summary: string }>>;
    assert.deepEqual(Object.keys(paths['/api/orders']!).sort(), ['get', 'post']);
    assert.equal(paths['/api/orders']!.post!.summary, 'place');
    assert.equal(paths['/api/orders/{uid}/cancel']!.post!.summary, 'cancel');
    assert.equal(paths['/api/orders/{uid}']!.get!.summary, 'one');
  });

  it('leaves out the operations of methods the proxy sends elsewhere', async () => {
    const merged = await mergedOpenApi([{ name: 'reads', url: urls.reads!, prefixes: ['/api/orders'], methods: ['POST'] }]);
    assert.deepEqual(merged.paths, {});
  });
});

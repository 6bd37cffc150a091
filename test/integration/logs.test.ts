// Logs in Elasticsearch, shipped by the local log shipper (infra/logship.sh: rsyslog tailing each service's log file
// into the daily logs-shop-* indices): a request's lines from three services found by its trace id; nothing lost while
// Elasticsearch is unreachable (a shipper of the test's own on the same config, pointed at a port that only later
// forwards to Elasticsearch: every line arrives once); the retention job deletes indices past their days.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { api } from '../../scripts/api.ts';
import { freePort, signUp, sleep, waitFor } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const ES = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const LOGSHIP = fileURLToPath(new URL('../../infra/logship.sh', import.meta.url));

const search = async (query: object) => {
  await fetch(`${ES}/logs-shop-*/_refresh`, { method: 'POST' });
  const res = await fetch(`${ES}/logs-shop-*/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(query) });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { hits: { total: { value: number }; hits: { _source: Record<string, unknown> }[] }; aggregations?: Record<string, { buckets: { key: string }[] }> };
};

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('logs in Elasticsearch', () => {
  it('finds a request\'s log lines from three services by its trace id', async () => {
    const [seller, buyer] = await Promise.all(['seller', 'customer'].map((role) =>
      signUp(SSO, { email: `logs-${role}-${randomUUID()}@test.example`, password: 'logs e2e password', name: `Logs ${role}`, role: role as 'seller' | 'customer' })));
    const item = await api(PROXY, '/api/items', { method: 'POST', token: seller!.token, body: { name: `Logs e2e lamp ${randomUUID().slice(0, 8)}`, brand: 'Ikea', category: 'furniture', price: '10.00', stock: 3 } });
    assert.equal(item.status, 201);
    assert.equal((await api(PROXY, `/api/cart/items/${item.body.id}`, { method: 'PUT', token: buyer!.token, body: { quantity: 1 } })).status, 200);

    // The cart reads the line's current price and stock at item-crud: proxy → cart → item-crud, one trace.
    const traceId = randomBytes(16).toString('hex');
    const cart = await api(PROXY, '/api/cart', { token: buyer!.token, headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
    assert.equal(cart.status, 200);
    const services = await waitFor('the lines of proxy, cart and item-crud', async () => {
      const found = await search({ size: 0, query: { term: { traceId } }, aggs: { s: { terms: { field: 'service' } } } });
      const names = found.aggregations!.s!.buckets.map((b) => b.key).sort();
      return ['cart', 'item-crud', 'proxy'].every((s) => names.includes(s)) ? names : undefined;
    }, 30_000, 500);
    assert.ok(services.length >= 3);
    const lines = await search({ size: 20, query: { term: { traceId } } });
    for (const hit of lines.hits.hits) {
      assert.ok(typeof hit._source['@timestamp'] === 'string', 'the line\'s time became @timestamp');
      assert.ok(typeof hit._source.level === 'string');
    }
  });

  it('loses nothing while Elasticsearch is unreachable: the shipper buffers and sends every line once when it is back', async () => {
    const state = mkdtempSync(join(tmpdir(), 'logship-test-'));
    cleanups.push(() => rmSync(state, { recursive: true, force: true }));
    mkdirSync(join(state, 'logs'), { recursive: true });
    const port = await freePort();
    const env = { ...process.env, SHOP_STATE: state, ELASTICSEARCH_URL: `http://127.0.0.1:${port}` };
    const conf = execFileSync(LOGSHIP, ['render'], { env, encoding: 'utf8' }).trim().split('\n').at(-1)!;
    const shipper: ChildProcess = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(state, 'rsyslogd.pid')], { stdio: 'ignore' });
    cleanups.push(() => {
      shipper.kill('SIGTERM');
    });

    const marker = `logship-test-${randomUUID()}`;
    const file = join(state, 'logs', 'cart.log');
    for (let i = 0; i < 200; i++) {
      appendFileSync(file, `${JSON.stringify({ level: 'info', time: new Date().toISOString(), service: 'cart', marker, n: i, msg: `line ${i}` })}\n`);
    }
    appendFileSync(file, 'a line that is not JSON\n');
    const count = async () => (await search({ size: 0, query: { term: { marker } } })).hits.total.value;
    await sleep(3_000);
    assert.equal(await count(), 0, 'nothing reached Elasticsearch while unreachable');

    // Elasticsearch comes back at the shipper's address: a TCP forwarder to the real one.
    const sockets = new Set<Socket>();
    const forwarder: Server = createServer((socket) => {
      const upstream = createConnection({ host: new URL(ES).hostname, port: Number(new URL(ES).port) });
      for (const s of [socket, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      }
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      forwarder.close(() => resolve());
      for (const s of sockets) s.destroy(); // the shipper keeps its connection open
    }));
    await waitFor('all 200 lines in Elasticsearch', async () => ((await count()) === 200 ? true : undefined), 60_000, 500);
    await sleep(2_000);
    assert.equal(await count(), 200, 'each line once');
    const plain = await search({ size: 1, query: { bool: { filter: [{ term: { service: 'cart' } }, { match_phrase: { message: 'a line that is not JSON' } }] } } });
    assert.ok(plain.hits.total.value >= 1, 'a line that is not JSON is kept as message, under its service');
  });

  it('deletes daily indices older than the retention, keeps today\'s', async () => {
    const old = 'logs-shop-2000.01.01';
    assert.ok([200, 400].includes((await fetch(`${ES}/${old}`, { method: 'PUT' })).status));
    execFileSync(LOGSHIP, ['retention'], { env: { ...process.env, LOG_RETENTION_DAYS: '7' }, stdio: 'ignore' });
    assert.equal((await fetch(`${ES}/${old}`, { method: 'HEAD' })).status, 404);
    const today = `logs-shop-${new Date().toISOString().slice(0, 10).replaceAll('-', '.')}`;
    assert.equal((await fetch(`${ES}/${today}`, { method: 'HEAD' })).status, 200);
  });
});

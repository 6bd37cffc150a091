// Search's activity events: every answered search carries a queryId (new per answer, cached or not) and puts a
// `search` event (normalized query, result count, the caller's anonymous id) on user-activity through the kit's
// emitter; Kafka being unreachable neither fails nor slows searching.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { activityEnd, readActivity } from '../../analytics/test/helpers.ts';
import { indexItems, startSearch, type IndexFixture } from './helpers.ts';

const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
let fixture: IndexFixture;
let app: App;
const prefix = `test-activity-${randomBytes(3).toString('hex')}`;

before(async () => {
  fixture = await indexItems('activity', [
    { key: 'kettle', id: randomUUID(), name: 'Чайник электрический Philips HD9318', description: '', brand: 'Philips', category: 'kitchen', price: '1990.00', stock: 5 },
    { key: 'pan', id: randomUUID(), name: 'Сковорода чугунная 26 см', description: '', brand: 'Биол', category: 'kitchen', price: '990.00', stock: 5 },
  ]);
  app = await startSearch({ ITEMS_ALIAS: fixture.alias, KAFKA_BROKERS, SEARCH_REDIS_PREFIX: prefix, SEARCH_CACHE_TTL_MS: '5000' });
});
after(async () => {
  await app?.close();
  await fixture?.close();
});

describe('search activity', () => {
  it('every answer has its own queryId and a search event on user-activity', async () => {
    const since = await activityEnd();

    const anon = `anon-${randomBytes(6).toString('hex')}`;
    const ask = async (q: string) => {
      const res = await app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent(q)}`, headers: { 'x-anonymous-id': anon } });
      assert.equal(res.statusCode, 200, res.body);
      return res.json<{ queryId: string; total: number; cached: boolean }>();
    };
    const first = await ask('  Чайник   ЭЛЕКТРИЧЕСКИЙ ');
    const second = await ask('  Чайник   ЭЛЕКТРИЧЕСКИЙ ');
    const none = await ask('zzqqxxyy');
    assert.equal(second.cached, true);
    for (const r of [first, second, none]) assert.match(r.queryId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set([first.queryId, second.queryId, none.queryId]).size, 3, 'a cached answer gets a new queryId');
    const browse = await app.inject({ method: 'GET', url: '/api/search?category=kitchen' });
    const browseId = browse.json<{ queryId: string }>().queryId;

    const ids = [first.queryId, second.queryId, none.queryId, browseId];
    const events = await readActivity(since, (e) => e.type === 'search' && ids.includes(e.queryId ?? ''), (found) => found.length >= ids.length);
    const byId = new Map(events.map((e) => [e.queryId, e]));
    assert.deepEqual(
      [first, second, none].map((r) => { const e = byId.get(r.queryId)!; return [e.query, e.results, e.anonymousId, e.userId]; }),
      [['чайник электрический', first.total, anon, undefined], ['чайник электрический', first.total, anon, undefined], ['zzqqxxyy', 0, anon, undefined]],
    );
    assert.equal(first.total, 1);
    assert.deepEqual([byId.get(browseId)!.query, byId.get(browseId)!.anonymousId], ['', 'anonymous']);
  });

  it('with ANALYTICS_URL the popular-query suggestions are analytics\' list, and searching records none', async () => {
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ queries: [{ query: 'чайник электрический', score: 1.75, shoppers: 3 }, { query: 'сковорода чугунная', score: 0.2, shoppers: 2 }] }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const own = `${prefix}-analytics`;
    const withAnalytics = await startSearch({ ITEMS_ALIAS: fixture.alias, ANALYTICS_URL: url, POPULAR_REFRESH_MS: '100', SEARCH_REDIS_PREFIX: own, SEARCH_CACHE_TTL_MS: '0' });
    try {
      const suggest = async (q: string) => (await withAnalytics.inject({ method: 'GET', url: `/api/search/suggest?q=${encodeURIComponent(q)}` })).json<{ suggestions: { text: string; kind: string }[] }>().suggestions.filter((x) => x.kind === 'query').map((x) => x.text);
      const { waitFor } = await import('../../test/support.ts');
      await waitFor('the list', async () => (await suggest('чайн')).includes('чайник электрический'), 10_000, 100);
      assert.deepEqual(await suggest('сков'), ['сковорода чугунная'], 'a low score is still suggested: analytics filtered the list');
      for (let i = 0; i < 3; i++) await withAnalytics.inject({ method: 'GET', url: '/api/search?q=%D0%BF%D0%B0%D0%BD' });
      assert.deepEqual(await suggest('пан'), [], 'searches are not counted by search any more');
    } finally {
      await withAnalytics.close();
      server.close();
    }
  });

  it('Kafka unreachable: searching neither fails nor waits, the search stays ready, events are counted as they are kept or dropped', async () => {
    const offline = await startSearch({ ITEMS_ALIAS: fixture.alias, KAFKA_BROKERS: '127.0.0.1:1', SEARCH_REDIS_PREFIX: prefix, SEARCH_CACHE_TTL_MS: '0' });
    try {
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) {
        const res = await offline.inject({ method: 'GET', url: '/api/search?q=чайник' });
        assert.equal(res.statusCode, 200);
      }
      assert.ok(performance.now() - t0 < 5_000);
      assert.equal((await offline.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
      assert.match((await offline.inject({ method: 'GET', url: '/metrics' })).body, /activity_emit_buffer\{[^}]*\} 20/);
    } finally {
      await offline.close();
    }
  });
});

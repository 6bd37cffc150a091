// Redis and PostgreSQL taken away (a TCP relay in front of each is cut; the shared servers are never touched):
// the answers degrade — no cache, then the popular lists kept in memory — and are never a 500.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DATABASE_URL, REDIS_URL, RUN, Relay, closeProducer, createTestTopics, db, deleteTestTopics, get, ids, item, newAnonymous, sendItem, sendViews, startService,
  waitFor, type RecommendationsApp,
} from './helpers.ts';

let service: RecommendationsApp;
let pgRelay: Relay;
let redisRelay: Relay;
const pool = db();
const c = `rec-test-${RUN}-outage`;
const items = [0, 1, 2, 3].map(() => item({ category: c }));

before(async () => {
  await createTestTopics();
  const pgUrl = new URL(DATABASE_URL);
  const redisUrl = new URL(REDIS_URL);
  pgRelay = await new Relay(pgUrl.hostname, Number(pgUrl.port || 5432)).start();
  redisRelay = await new Relay(redisUrl.hostname, Number(redisUrl.port || 6379)).start();
  pgUrl.host = `127.0.0.1:${pgRelay.port}`;
  redisUrl.host = `127.0.0.1:${redisRelay.port}`;
  service = await startService({ DATABASE_URL: pgUrl.toString(), REDIS_URL: redisUrl.toString(), DB_TIMEOUT_MS: '500', REDIS_TIMEOUT_MS: '100' });
  for (const i of items) await sendItem(i);
  for (const [n, i] of items.entries()) for (let k = 0; k < 2 * (n + 1); k++) await sendViews(newAnonymous(), [i.id]); // 2, 4, 6, 8 views
  await sendViews(newAnonymous(), [items[0]!.id, items[1]!.id]);
  await waitFor('the views counted', async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM interactions WHERE item_id = ANY($1::uuid[])', [items.map((i) => i.id)])).rows[0]!.n) === 22, 20_000, 100);
});

after(async () => {
  await service?.app.close();
  await pgRelay?.cut();
  await redisRelay?.cut();
  await closeProducer();
  await pool.end();
  await deleteTestTopics();
});

describe('outages', () => {
  const popular = `/api/recommendations/popular?category=${c}&size=4`;
  const expected = [...items].reverse().map((i) => i.id);

  it('answers as usual with the stores up', async () => {
    const l = await get(service.app, popular);
    assert.deepEqual(ids(l), expected);
    assert.equal(l.cache, 'miss');
    await waitFor('the overall popular list kept in memory', () => service.recommendations.snapshot.size >= 2);
  });

  it('Redis down: no cache, the same answers, no error', async () => {
    await redisRelay.cut();
    const l = await get(service.app, popular);
    assert.equal(l.status, 200);
    assert.equal(l.cache, 'bypass');
    assert.deepEqual(ids(l), expected);
    const me = await get(service.app, '/api/recommendations/me?size=3', { 'x-anonymous-id': newAnonymous().anonymousId });
    assert.equal(me.status, 200);
    assert.equal((await get(service.app, `/api/recommendations/items/${items[0]!.id}?size=3`)).body.source, 'also-viewed');
  });

  it('PostgreSQL down too: the popular lists kept in memory, marked degraded, never a 500', async () => {
    await pgRelay.cut();
    const l = await get(service.app, popular);
    assert.equal(l.status, 200);
    assert.equal(l.degraded, 'store-unavailable');
    assert.equal(l.body.source, 'popular');
    assert.deepEqual(ids(l), expected, 'the category list answered before the outage');
    for (const url of ['/api/recommendations/popular?size=5', `/api/recommendations/items/${items[0]!.id}?size=5`, `/api/recommendations/items/${item().id}`]) {
      const res = await get(service.app, url);
      assert.equal(res.status, 200, url);
      assert.equal(res.body.source, 'popular');
      assert.ok(res.body.items.length > 0, url);
    }
    const me = await get(service.app, '/api/recommendations/me?size=5', { 'x-anonymous-id': newAnonymous().anonymousId });
    assert.equal(me.status, 200);
    assert.equal(me.degraded, 'store-unavailable');
    const ready = await service.app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(ready.statusCode, 503, 'readiness reports it');
  });

  it('both back: normal answers again', async () => {
    await pgRelay.restore();
    await redisRelay.restore();
    const l = await waitFor('a normal answer', async () => {
      const res = await get(service.app, `/api/recommendations/items/${items[0]!.id}?size=3`);
      return !res.degraded && res.cache === 'miss' ? res : undefined;
    }, 20_000, 200);
    assert.equal(l.body.source, 'also-viewed');
    assert.equal(ids(l)[0], items[1]!.id);
  });
});

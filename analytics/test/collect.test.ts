// POST /api/activity against the real stack: bounds, bad input, per-event answers, the path to the aggregates
// (outbox → user-activity → consumer → events), no IP address anywhere.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildService } from '../src/app.ts';
import { DATABASE_URL, KAFKA_BROKERS, SSO_URL, anonId, db, deleteGroups, newGroups, newUser, startAnalytics, waitFor, type AnalyticsApp } from './helpers.ts';

let svc: AnalyticsApp;
const pool = db();
before(async () => {
  svc = await startAnalytics();
});
after(async () => {
  await svc.app.close();
  await deleteGroups(svc.consumers.map((c) => c.groupId));
  await pool.end();
});

const post = (body: unknown, headers: Record<string, string> = {}, contentType = 'application/json') => svc.app.inject({
  method: 'POST', url: '/api/activity', headers: { 'content-type': contentType, ...headers },
  payload: typeof body === 'string' ? body : JSON.stringify(body),
});
const click = (extra: Record<string, unknown> = {}) => ({ type: 'search_click', queryId: randomUUID(), itemId: randomUUID(), position: 2, ...extra });
const stored = async (queryId: string) => (await pool.query('SELECT * FROM events WHERE query_id = $1', [queryId])).rows;

describe('POST /api/activity', () => {
  it('accepts a JSON batch, answers per event, and the events reach the events table once', async () => {
    const anon = anonId();
    const events = [click(), click({ eventId: randomUUID(), sessionId: 'session-1234' }), { type: 'page_view', path: '/items/x' }, { type: 'product_view', itemId: randomUUID() }];
    const res = await post({ events }, { 'x-anonymous-id': anon, 'x-forwarded-for': '203.0.113.77' });
    assert.equal(res.statusCode, 202, res.body);
    const body = res.json<{ accepted: number; rejected: { index: number; reason: string; detail: string }[] }>();
    assert.equal(body.accepted, 3);
    assert.deepEqual(body.rejected.map((r) => [r.index, r.reason]), [[3, 'type-not-accepted']]);
    for (const e of events.slice(0, 2) as { queryId: string }[]) {
      const rows = await waitFor('the click counted', async () => {
        const r = await stored(e.queryId as string);
        return r.length ? r : undefined;
      }, 20_000, 100);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].anonymous_id, anon);
      assert.equal(rows[0].user_id, null);
      assert.ok(!JSON.stringify(rows[0]).includes('203.0.113.77'), 'no IP address stored');
    }
    const { rows: outbox } = await pool.query(`SELECT payload::text FROM outbox WHERE payload->>'anonymousId' = $1`, [anon]);
    assert.equal(outbox.length, 3);
    assert.ok(outbox.every((r: { payload: string }) => !r.payload.includes('203.0.113') && !/"ip"/i.test(r.payload)));
  });

  it('takes text/plain (navigator.sendBeacon) with the same JSON', async () => {
    const e = click({ anonymousId: anonId() });
    const res = await post(JSON.stringify({ events: [e] }), {}, 'text/plain;charset=UTF-8');
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().accepted, 1);
    await waitFor('stored', async () => (await stored(e.queryId as string)).length === 1, 20_000, 100);
    const bad = await post('{"events": [', {}, 'text/plain');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.headers['content-type'] as string, /application\/problem\+json/);
  });

  it('requires an anonymous id without a token; with a token the user id comes from it', async () => {
    const anonymous = await post({ events: [click(), click()] });
    assert.equal(anonymous.statusCode, 202);
    assert.deepEqual(anonymous.json().rejected.map((r: { reason: string }) => r.reason), ['anonymous-id-required', 'anonymous-id-required']);
    assert.equal(anonymous.json().accepted, 0);

    const user = await newUser();
    const e = click();
    const signedIn = await post({ events: [e] }, user.auth);
    assert.equal(signedIn.json().accepted, 1);
    const rows = await waitFor('stored', async () => {
      const r = await stored(e.queryId as string);
      return r.length ? r : undefined;
    }, 20_000, 100);
    assert.equal(rows[0].user_id, user.id);
    assert.equal(rows[0].anonymous_id, `user:${user.id}`);
    assert.equal((await post({ events: [e] }, { authorization: 'Bearer not.a.token' })).statusCode, 401);
  });

  it('drops events older than 24 h or from the future with the reason', async () => {
    const res = await post({ events: [
      click({ occurredAt: new Date(Date.now() - 25 * 3_600_000).toISOString() }),
      click({ occurredAt: new Date(Date.now() + 3_600_000).toISOString() }),
      click({ occurredAt: new Date(Date.now() - 3_600_000).toISOString() }),
    ] }, { 'x-anonymous-id': anonId() });
    assert.equal(res.statusCode, 202);
    assert.equal(res.json().accepted, 1);
    assert.deepEqual(res.json().rejected.map((r: { index: number; reason: string }) => [r.index, r.reason]), [[0, 'too-old'], [1, 'in-the-future']]);
  });

  it('bounds: at most 100 events and 64 KiB; bad bodies and headers are 400', async () => {
    const headers = { 'x-anonymous-id': anonId() };
    const hundred = await post({ events: Array.from({ length: 100 }, () => click()) }, headers);
    assert.equal(hundred.statusCode, 202);
    assert.equal(hundred.json().accepted, 100);
    assert.equal((await post({ events: Array.from({ length: 101 }, () => click()) }, headers)).statusCode, 400);
    const big = { events: [click({ path: undefined, sessionId: 'x'.repeat(70_000) })] };
    assert.equal((await post(big, headers)).statusCode, 413);
    assert.equal((await post(JSON.stringify(big), headers, 'text/plain')).statusCode, 413);
    for (const body of [{}, { events: [] }, { events: 'x' }, { events: [1] }, { events: [click()], extra: 1 }, [click()]]) {
      const res = await post(body, headers);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
    }
    assert.equal((await post({ events: [click({ path: 'a\u0000b' })] }, headers)).statusCode, 400, 'NUL');
    assert.equal((await post({ events: [click()] }, { 'x-anonymous-id': 'bad id!' })).statusCode, 400);
    assert.equal((await post('<xml/>', headers, 'application/xml')).statusCode, 415);
  });

  it('counts outcomes by reason in /metrics', async () => {
    const metrics = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /analytics_collected_events_total\{outcome="rejected",reason="too-old"[^}]*\} [1-9]/);
    assert.match(metrics, /analytics_collected_events_total\{outcome="accepted",reason=""[^}]*\} [1-9]/);
  });
});

describe('the client address', () => {
  it('is not taken from X-Forwarded-For even with TRUST_PROXY set (the access log gets the proxy\'s address)', async () => {
    const trusting = await buildService({
      HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL, KAFKA_BROKERS, SSO_URL, RELAY_ENABLED: 'false', TRUST_PROXY: 'loopback', ...newGroups(),
    });
    try {
      let seen: string | undefined;
      trusting.app.addHook('onResponse', async (request) => {
        seen = request.ip;
      });
      const res = await trusting.app.inject({ method: 'POST', url: '/api/activity', remoteAddress: '127.0.0.1', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9', 'x-anonymous-id': anonId() }, payload: { events: [click()] } });
      assert.equal(res.statusCode, 202);
      assert.equal(seen, '127.0.0.1');
    } finally {
      await trusting.app.close();
      await deleteGroups(trusting.consumers.map((c) => c.groupId));
    }
  });
});

// comment-analysis against the real Kafka, PostgreSQL (test database), Elasticsearch and sso: review created,
// edited and deleted → the summary follows; redelivered and late events change nothing; bad events dead-lettered
// with their reason; bad input (emoji only, 2,000 of one letter) analyzed without a crash; the routes; the
// text of an event without one read from item-crud; the reanalyze CLI (and the summary it changes published).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { COMMENT_EVENTS_TOPIC } from '@shop/contracts';
import { COMMENT_EVENTS_DLQ_TOPIC } from '../src/services/consumer.ts';
import {
  DATABASE_URL, ELASTICSEARCH_URL, closeProducer, db, kafka, newAdmin, newUser, readTopic, reviewEvent, sendEvent, sendRaw, sleep, startService, waitFor,
  type CommentAnalysisApp,
} from './helpers.ts';

let service: CommentAnalysisApp;
let admin: Admin;
let itemCrud: Server;
const pool = db();
/** What the fake item-crud lists as reviews (for events without text). */
const listed = new Map<string, { id: string; text: string }[]>();

const summary = async (itemId: string) => {
  const res = await service.app.inject({ method: 'GET', url: `/api/review-analysis/items/${itemId}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { count: number; sentiment: { positive: number; neutral: number; negative: number }; score: number; aspects: { aspect: string; mentions: number; positive: number; negative: number }[]; praised: string[]; criticized: string[]; updatedAt: string | null };
};
const row = async (commentId: string) => (await pool.query('SELECT * FROM comment_analyses WHERE comment_id = $1', [commentId])).rows[0] as Record<string, unknown> | undefined;

before(async () => {
  itemCrud = createServer((req, res) => {
    const itemId = /\/api\/items\/([^/]+)\/comments/.exec(req.url ?? '')?.[1] ?? '';
    const items = listed.get(itemId);
    res.writeHead(items ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(items ? { total: items.length, page: 1, size: 50, items } : { status: 404 }));
  }).listen(0, '127.0.0.1');
  await new Promise((r) => itemCrud.once('listening', r));
  service = await startService({ ITEM_CRUD_URL: `http://127.0.0.1:${(itemCrud.address() as AddressInfo).port}` });
  admin = kafka().admin();
  await admin.connect();
});

after(async () => {
  await service?.app.close();
  await admin?.disconnect();
  await closeProducer();
  await pool.end();
  itemCrud?.close();
});

describe('comment-analysis: review changes → the item summary', () => {
  it('created, edited and deleted: the summary follows within seconds', async () => {
    const itemId = randomUUID();
    const a = { id: randomUUID(), itemId, rating: 5, text: 'Отличные наушники, звук чистый, батарея держит долго. Рекомендую!' };
    const b = { id: randomUUID(), itemId, rating: 2, text: 'Arrived broken, the box was crushed. Returned it.' };
    await sendEvent(reviewEvent('comment.created', a, 2));
    await sendEvent(reviewEvent('comment.created', b, 3));
    let s = await waitFor('two reviews in the summary', async () => { const x = await summary(itemId); return x.count === 2 ? x : undefined; });
    assert.deepEqual(s.sentiment, { positive: 1, neutral: 0, negative: 1 });
    assert.ok(s.praised.includes('sound') && s.praised.includes('battery'), JSON.stringify(s));
    assert.ok(s.criticized.includes('packaging'), JSON.stringify(s));
    assert.ok(s.updatedAt);

    // b is edited into praise: negative → positive
    await sendEvent(reviewEvent('comment.updated', { ...b, rating: 5, text: 'Replacement came quickly and works perfectly, love it' }, 4));
    s = await waitFor('the edit in the summary', async () => { const x = await summary(itemId); return x.sentiment.positive === 2 ? x : undefined; });
    assert.equal(s.count, 2);
    assert.equal(s.sentiment.negative, 0);

    await sendEvent(reviewEvent('comment.deleted', a, 5));
    s = await waitFor('the deletion in the summary', async () => { const x = await summary(itemId); return x.count === 1 ? x : undefined; });
    assert.deepEqual(s.sentiment, { positive: 1, neutral: 0, negative: 0 });
    assert.ok(!s.aspects.some((x) => x.aspect === 'sound'), 'the deleted review\'s aspects are gone');
    assert.equal((await row(a.id))!.deleted_at instanceof Date, true);
  });

  it('a redelivered event and an older one delivered late change nothing; a deleted review stays deleted', async () => {
    const itemId = randomUUID();
    const r = { id: randomUUID(), itemId, rating: 4, text: 'Хорошая куртка, тёплая, но маломерит на размер' };
    const created = reviewEvent('comment.created', r, 2);
    const edited = reviewEvent('comment.updated', { ...r, rating: 1, text: 'Порвалась через неделю, ужасное качество' }, 3);
    await sendEvent(created);
    await sendEvent(edited);
    await waitFor('the edit', async () => (await row(r.id))?.item_version === 3);
    const stored = await row(r.id);
    const before = await summary(itemId);

    await sendEvent(edited); // redelivery
    await sendEvent(created); // an older one, late
    const marker = { id: randomUUID(), itemId, rating: 5, text: 'Просто отлично' };
    await sendEvent(reviewEvent('comment.created', marker, 4)); // same partition: handled after the two above
    await waitFor('the marker', async () => (await summary(itemId)).count === 2);
    assert.deepEqual(await row(r.id), stored, 'the row is exactly as it was');
    assert.equal((await row(r.id))!.sentiment, 'negative');

    await sendEvent(reviewEvent('comment.deleted', r, 5));
    await waitFor('the deletion', async () => (await summary(itemId)).count === 1);
    await sendEvent(edited); // late again, after the deletion
    const marker2 = { id: randomUUID(), itemId, rating: 5, text: 'Всё супер' };
    await sendEvent(reviewEvent('comment.created', marker2, 6));
    await waitFor('the second marker', async () => (await summary(itemId)).count === 2);
    assert.notEqual((await row(r.id))!.deleted_at, null);
    assert.equal(before.count, 1);
  });

  it('bad input is analyzed without a crash: emoji only, 2,000 of one letter, shouting, links and phones flagged', async () => {
    const itemId = randomUUID();
    const cases = [
      { text: '😍😍😍', rating: 5, sentiment: 'positive', flags: ['too_short'] },
      { text: 'а'.repeat(2000), rating: 3, sentiment: 'neutral', flags: ['too_short'] },
      { text: 'ЭТО ПРОСТО УЖАСНЫЙ ТОВАР, НЕ ПОКУПАЙТЕ', rating: 1, sentiment: 'negative', flags: ['shouting'] },
      { text: 'Дешевле тут: https://cheap.example/deal или +7 912 345-67-89', rating: 5, sentiment: 'neutral', flags: ['link', 'phone'] },
    ];
    const ids = cases.map(() => randomUUID());
    for (const [i, c] of cases.entries()) await sendEvent(reviewEvent('comment.created', { id: ids[i]!, itemId, rating: c.rating, text: c.text }, i + 2));
    await waitFor('all analyzed', async () => (await summary(itemId)).count === cases.length);
    const { token, auth } = await newAdmin();
    assert.ok(token);
    for (const [i, c] of cases.entries()) {
      const res = await service.app.inject({ method: 'GET', url: `/api/review-analysis/comments/${ids[i]}`, headers: auth });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as { sentiment: string; flags: string[]; language: string; analyzerVersion: string };
      assert.equal(body.sentiment, c.sentiment, c.text.slice(0, 20));
      assert.deepEqual(body.flags, c.flags, c.text.slice(0, 20));
      assert.equal(body.analyzerVersion, service.reviews.analyzer.version);
    }
    const metrics = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const flag of ['shouting', 'link', 'phone', 'too_short']) assert.match(metrics, new RegExp(`comment_analysis_flags_total\\{flag="${flag}"[^}]*\\} [1-9]`), flag);
    assert.match(metrics, /comment_analysis_reviews_total\{language="ru",sentiment="negative"[^}]*\} [1-9]/);
  });

  it('dead-letters events the contract refuses (bad JSON, empty text, NUL in the text) with the reason, and moves on', async () => {
    const itemId = randomUUID();
    const notJson = await sendRaw(itemId, Buffer.from('{"id": nope'));
    const empty = reviewEvent('comment.created', { id: randomUUID(), itemId, rating: 3, text: 'x' }, 2);
    const emptyBytes = Buffer.from(JSON.stringify({ ...empty, data: { ...empty.data, text: '' } }));
    const emptyAt = await sendRaw(itemId, emptyBytes);
    const nul = Buffer.from(JSON.stringify({ ...empty, data: { ...empty.data, text: 'a\u0000b' } }));
    const nulAt = await sendRaw(itemId, nul);
    const good = { id: randomUUID(), itemId, rating: 4, text: 'Good value for the price' };
    await sendEvent(reviewEvent('comment.created', good, 3));
    await waitFor('the good event after the bad ones', async () => (await summary(itemId)).count === 1);

    const read = await readTopic(admin, COMMENT_EVENTS_DLQ_TOPIC, (all) => all.filter((r) => r.message.key?.toString() === itemId).length >= 3);
    const ours = read.filter((r) => r.message.key?.toString() === itemId);
    const at = (o: { offset: string }) => ours.find((r) => r.header('x-original-offset') === o.offset);
    assert.match(at(notJson)?.header('x-dlq-reason') ?? '', /^invalid-json: /);
    assert.match(at(emptyAt)?.header('x-dlq-reason') ?? '', /^schema: .*text/);
    assert.match(at(nulAt)?.header('x-dlq-reason') ?? '', /^schema: .*text/);
    assert.deepEqual(at(emptyAt)?.message.value, emptyBytes);
    assert.equal(at(notJson)?.header('x-original-topic'), COMMENT_EVENTS_TOPIC);
  });

  it('an event without text (produced before the contract carried it) reads the text from item-crud', async () => {
    const itemId = randomUUID();
    const r = { id: randomUUID(), itemId, rating: 2 };
    listed.set(itemId, [{ id: randomUUID(), text: 'другой отзыв' }, { id: r.id, text: 'Маломерит на два размера, пришлось вернуть' }]);
    await sendEvent(reviewEvent('comment.created', r, 2));
    await waitFor('the analysis', async () => (await row(r.id))?.sentiment === 'negative');
    assert.equal((await row(r.id))!.text, 'Маломерит на два размера, пришлось вернуть');
    const s = await summary(itemId);
    assert.deepEqual(s.criticized, ['size']);
  });
});

describe('comment-analysis: routes', () => {
  it('the item summary is public; an item without reviews has an empty one; bad ids are problem+json 400', async () => {
    const empty = await summary(randomUUID());
    assert.deepEqual({ ...empty, itemId: undefined }, { itemId: undefined, count: 0, sentiment: { positive: 0, neutral: 0, negative: 0 }, score: 0, aspects: [], praised: [], criticized: [], updatedAt: null });
    const { auth } = await newAdmin();
    for (const url of ['/api/review-analysis/items/nope', '/api/review-analysis/items/%00', '/api/review-analysis/comments/123']) {
      const res = await service.app.inject({ method: 'GET', url, headers: auth });
      assert.equal(res.statusCode, 400, url);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    }
  });

  it('a review analysis is for admins: 401 without a token, 403 for a customer, 404 for an unknown review', async () => {
    const id = randomUUID();
    assert.equal((await service.app.inject({ method: 'GET', url: `/api/review-analysis/comments/${id}` })).statusCode, 401);
    const customer = await newUser('customer');
    assert.equal((await service.app.inject({ method: 'GET', url: `/api/review-analysis/comments/${id}`, headers: customer.auth })).statusCode, 403);
    const res = await service.app.inject({ method: 'GET', url: `/api/review-analysis/comments/${id}`, headers: (await newAdmin()).auth });
    assert.equal(res.statusCode, 404);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
  });
});

describe('comment-analysis: reanalyze', () => {
  it('the CLI analyzes again the reviews of another analyzer version and rebuilds their summaries', async () => {
    const itemId = randomUUID();
    const r = { id: randomUUID(), itemId, rating: 5, text: 'Отличный чайник, рекомендую' };
    await sendEvent(reviewEvent('comment.created', r, 2));
    await waitFor('the analysis', async () => (await row(r.id))?.sentiment === 'positive');
    // As if an older lexicon had judged it otherwise.
    await pool.query(`UPDATE comment_analyses SET analyzer_version = 'old', sentiment = 'negative', score = -0.9 WHERE comment_id = $1`, [r.id]);
    await pool.query(`UPDATE item_review_summaries SET positive = 0, negative = 1, score = -0.9 WHERE item_id = $1`, [itemId]);
    await sleep(10);
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const run = spawnSync(process.execPath, [cli, 'reanalyze'], { env: { ...process.env, DATABASE_URL, ELASTICSEARCH_URL }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr + run.stdout);
    const out = JSON.parse(run.stdout) as { ok: boolean; version: string; examined: number; updated: number; versionsAfter: Record<string, number> };
    assert.equal(out.version, service.reviews.analyzer.version);
    assert.ok(out.updated >= 1);
    assert.equal(out.versionsAfter.old, undefined);
    assert.equal((await row(r.id))!.sentiment, 'positive');
    assert.equal((await row(r.id))!.analyzer_version, service.reviews.analyzer.version);
    const s = await summary(itemId);
    assert.deepEqual(s.sentiment, { positive: 1, neutral: 0, negative: 0 });
    // The summary it changed is published (through the outbox, like any change): revision 2 after the first one.
    const { rows: events } = await pool.query<{ payload: { data: { revision: number; summary: { sentiment: unknown } } } }>(
      'SELECT payload FROM outbox WHERE key = $1 ORDER BY id', [itemId]);
    assert.deepEqual(events.map((e) => [e.payload.data.revision, e.payload.data.summary.sentiment]),
      [[1, { positive: 1, neutral: 0, negative: 0 }], [2, { positive: 1, neutral: 0, negative: 0 }]]);
    const usage = spawnSync(process.execPath, [cli, 'nonsense'], { encoding: 'utf8' });
    assert.equal(usage.status, 64);
  });
});

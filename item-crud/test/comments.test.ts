// Reviews through the routes against the real PostgreSQL and Kafka, with real sso tokens: validation,
// one review per user (POST upserts), who may change and delete, the item's rating aggregate and
// version in the same transaction, item.updated + comment-events, and concurrent first POSTs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import {
  COMMENT_EVENTS_TOPIC, ITEM_EVENTS_TOPIC, decodeCommentEvent, decodeItemEvent, type CommentEvent, type ItemEvent,
} from '@shop/contracts';
import type { App } from '@shop/kit';
import { createItem, eventually, newAdmin, newUser, pool, startApp, tapTopic, type ItemJson, type Problem, type Tap, type User } from './helpers.ts';

let app: App;
let db: pg.Pool;
let itemTap: Tap;
let commentTap: Tap;
let seller: User;
let customer: User;
let customer2: User;
let admin: User;

before(async () => {
  app = await startApp();
  db = pool();
  [itemTap, commentTap] = await Promise.all([tapTopic(ITEM_EVENTS_TOPIC), tapTopic(COMMENT_EVENTS_TOPIC)]);
  [seller, customer, customer2, admin] = await Promise.all([newUser('seller'), newUser('customer'), newUser('customer', 'customer2'), newAdmin()]);
});
after(async () => {
  await Promise.all([itemTap.close(), commentTap.close()]);
  await app.close();
  await db.end();
});

interface CommentJson { id: string; itemId: string; authorId: string; authorName: string; rating: number; text: string; createdAt: string; updatedAt: string }
interface CommentPageJson { total: number; page: number; size: number; items: CommentJson[]; rating: { average: number; count: number } }

const post = (user: User | null, itemId: string, payload: unknown) =>
  app.inject({ method: 'POST', url: `/api/items/${itemId}/comments`, headers: user?.auth ?? {}, payload: payload as Record<string, unknown> });
const list = (itemId: string, query = '') => app.inject({ method: 'GET', url: `/api/items/${itemId}/comments${query}` });
const remove = (user: User | null, id: string) => app.inject({ method: 'DELETE', url: `/api/comments/${id}`, headers: user?.auth ?? {} });
const patch = (user: User, id: string, payload: unknown) =>
  app.inject({ method: 'PATCH', url: `/api/comments/${id}`, headers: user.auth, payload: payload as Record<string, unknown> });

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, label = ''): Problem {
  assert.equal(res.statusCode, status, `${label} ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  return JSON.parse(res.body) as Problem;
}

/**
 * The item's rating and its version as the review changes made it. With the stack up, each review change also
 * reaches comment-analysis, whose review summary comes back through `review-summaries` and bumps the version once
 * more, at a time of its own (README, "Review summaries"). Such a bump writes an item.updated without a
 * comment-events row, so it is taken out here: the version less (item.updated rows − comment-events rows) of the
 * item, read in one statement (one snapshot).
 */
const itemRow = async (id: string) =>
  (await db.query<{ version: number; rating_sum: number; rating_count: number }>(`
    SELECT i.version - ((SELECT count(*) FROM outbox o WHERE o.key = $1 AND o.topic = 'item-events' AND o.payload->>'type' = 'item.updated')
                      - (SELECT count(*) FROM outbox o WHERE o.key = $1 AND o.topic = 'comment-events'))::int AS version,
           i.rating_sum, i.rating_count
      FROM items i WHERE i.id = $1::uuid`, [id])).rows[0]!;

const getItem = async (id: string) => (await app.inject({ method: 'GET', url: `/api/items/${id}` })).json<ItemJson>();

const commentEvents = (itemId: string): CommentEvent[] => commentTap.forKeys([itemId]).map((m) => {
  const decoded = decodeCommentEvent(m.value);
  assert.ok(decoded.ok, `a valid comment event: ${m.value.toString()}`);
  return decoded.value;
});
const itemEvents = (itemId: string): ItemEvent[] => itemTap.forKeys([itemId]).map((m) => {
  const decoded = decodeItemEvent(m.value);
  assert.ok(decoded.ok);
  return decoded.value;
});

describe('create, update, delete and the rating', () => {
  it('keeps rating, version and both event streams in step with every review change', async () => {
    const item = await createItem(app, seller);
    let version = item.version;

    // Create: 201, the author's name from the sso, rating 5/1, version + 1.
    const created = await post(customer, item.id, { rating: 5, text: '  Отличный ноутбук!  ' });
    assert.equal(created.statusCode, 201, created.body);
    const c1 = created.json<CommentJson>();
    assert.equal(created.headers.location, `/api/comments/${c1.id}`);
    assert.deepEqual(Object.keys(c1).sort(), ['authorId', 'authorName', 'createdAt', 'id', 'itemId', 'rating', 'text', 'updatedAt']);
    assert.deepEqual([c1.itemId, c1.authorId, c1.authorName, c1.rating, c1.text], [item.id, customer.id, 'Test customer', 5, 'Отличный ноутбук!']);
    version++;
    assert.deepEqual(await itemRow(item.id), { version, rating_sum: 5, rating_count: 1 });
    assert.deepEqual((await getItem(item.id)).rating, { average: 5, count: 1 });

    // The same user again: their review changes (200, same id), the aggregate by the difference.
    const again = await post(customer, item.id, { rating: 3, text: 'Передумал' });
    assert.equal(again.statusCode, 200, again.body);
    const c1b = again.json<CommentJson>();
    assert.equal(c1b.id, c1.id);
    assert.equal(c1b.createdAt, c1.createdAt);
    assert.ok(c1b.updatedAt >= c1.updatedAt);
    assert.deepEqual([c1b.rating, c1b.text], [3, 'Передумал']);
    version++;
    assert.deepEqual(await itemRow(item.id), { version, rating_sum: 3, rating_count: 1 });

    // A second user: 3 + 4 over 2 = 3.5.
    const second = await post(customer2, item.id, { rating: 4, text: 'Нормально' });
    assert.equal(second.statusCode, 201, second.body);
    const c2 = second.json<CommentJson>();
    version++;
    assert.deepEqual(await itemRow(item.id), { version, rating_sum: 7, rating_count: 2 });
    assert.deepEqual((await getItem(item.id)).rating, { average: 3.5, count: 2 });

    // PATCH by the author (admins and others may not edit).
    assertProblem(await patch(customer, c2.id, { rating: 1 }), 403, 'someone else’s review');
    assertProblem(await patch(admin, c2.id, { rating: 1 }), 403, 'admins delete, they do not edit');
    const edited = await patch(customer2, c2.id, { rating: 2 });
    assert.equal(edited.statusCode, 200, edited.body);
    assert.deepEqual([edited.json<CommentJson>().rating, edited.json<CommentJson>().text], [2, 'Нормально']);
    version++;
    assert.deepEqual(await itemRow(item.id), { version, rating_sum: 5, rating_count: 2 });

    // GET: public, newest first, with the rating.
    const page = await list(item.id);
    assert.equal(page.statusCode, 200, page.body);
    const body = page.json<CommentPageJson>();
    assert.deepEqual([body.total, body.page, body.size], [2, 1, 20]);
    assert.deepEqual(body.items.map((c) => c.id), [c2.id, c1.id]);
    assert.deepEqual(body.rating, { average: 2.5, count: 2 });

    // DELETE: others 403 (also the item's seller), unknown 404, the author 204, an admin 204.
    assertProblem(await remove(customer2, c1.id), 403);
    assertProblem(await remove(seller, c1.id), 403);
    assertProblem(await remove(null, c1.id), 401);
    assertProblem(await remove(customer, randomUUID()), 404);
    assert.equal((await remove(customer, c1.id)).statusCode, 204);
    version++;
    assert.deepEqual(await itemRow(item.id), { version, rating_sum: 2, rating_count: 1 });
    assertProblem(await remove(customer, c1.id), 404, 'already gone');
    assert.equal((await remove(admin, c2.id)).statusCode, 204);
    version++;
    assert.deepEqual(await itemRow(item.id), { version, rating_sum: 0, rating_count: 0 });
    assert.deepEqual((await list(item.id)).json<CommentPageJson>(), { total: 0, page: 1, size: 20, items: [], rating: { average: 0, count: 0 } });

    // After a delete the same user may review again (a new review).
    assert.equal((await post(customer, item.id, { rating: 4, text: 'Снова' })).statusCode, 201);
    version++;

    // Both topics: one comment event and one item.updated per change, keyed by the item, at the same version.
    const comments = await eventually(() => {
      const e = commentEvents(item.id);
      return e.length >= 7 ? e : undefined;
    }, 10_000, 'seven comment events');
    assert.deepEqual(comments.map((e) => [e.type, e.data.rating, e.data.ratingSummary.average, e.data.ratingSummary.count]), [
      ['comment.created', 5, 5, 1],
      ['comment.updated', 3, 3, 1],
      ['comment.created', 4, 3.5, 2],
      ['comment.updated', 2, 2.5, 2],
      ['comment.deleted', 3, 2, 1],
      ['comment.deleted', 2, 0, 0],
      ['comment.created', 4, 4, 1],
    ]);
    // Each review change is a new version (review summaries may add versions in between, see itemRow).
    const reviewVersions = comments.map((e) => e.data.itemVersion);
    assert.ok(reviewVersions.every((v, i) => v > (i === 0 ? item.version : reviewVersions[i - 1]!)), `increasing: ${reviewVersions.join(', ')}`);
    assert.deepEqual(comments.slice(0, 2).map((e) => [e.data.id, e.data.authorId, e.data.itemId]), [[c1.id, customer.id, item.id], [c1.id, customer.id, item.id]]);
    assert.ok(commentTap.forKeys([item.id]).every((m) => m.headers['content-type'] === 'application/json' && m.key === item.id));
    const updates = await eventually(() => {
      const e = itemEvents(item.id).filter((x) => x.type === 'item.updated');
      return reviewVersions.every((v) => e.some((x) => x.version === v)) ? e : undefined;
    }, 10_000, 'an item.updated at the version of each comment event');
    const versions = updates.map((e) => e.version);
    assert.deepEqual(versions, Array.from({ length: versions.length }, (_, i) => item.version + i + 1), 'every version once, in order');
    assert.equal(version, item.version + 7);
  });
});

describe('rules', () => {
  it('validates rating (whole 1..5) and text (trimmed 1..2000, no NUL, no lone surrogate), refuses unknown fields', async () => {
    const item = await createItem(app, seller);
    const bad: [unknown, string][] = [
      [{ rating: 0, text: 'x' }, '/rating'], [{ rating: 6, text: 'x' }, '/rating'], [{ rating: 4.5, text: 'x' }, '/rating'],
      [{ rating: '5', text: 'x' }, '/rating'], [{ rating: true, text: 'x' }, '/rating'], [{ rating: null, text: 'x' }, '/rating'], [{ text: 'x' }, '/rating'],
      [{ rating: 5, text: '' }, '/text'], [{ rating: 5, text: '   \n\t ' }, '/text'], [{ rating: 5, text: 'я'.repeat(2001) }, '/text'],
      [{ rating: 5, text: 42 }, '/text'], [{ rating: 5 }, '/text'],
      // PostgreSQL cannot store NUL (it was a 500) and no encoder can write a lone surrogate
      [{ rating: 5, text: 'fine\u0000text' }, '/text'], [{ rating: 5, text: 'half \ud83d pair' }, '/text'], [{ rating: 5, text: 'x\udc00' }, '/text'],
      [{ rating: 5, text: 'x', authorName: 'Admin' }, '/authorName'], [{ rating: 5, text: 'x', itemId: randomUUID() }, '/itemId'],
    ];
    for (const [payload, pointer] of bad) {
      const problem = assertProblem(await post(customer, item.id, payload), 400, JSON.stringify(payload).slice(0, 60));
      assert.ok(problem.errors?.some((e) => e.pointer === pointer), `expected an error at ${pointer}: ${JSON.stringify(problem)}`);
    }
    assert.deepEqual(await itemRow(item.id), { version: item.version, rating_sum: 0, rating_count: 0 }, 'nothing changed');
    // The limit applies to the text as sent (what the OpenAPI document can state); it is stored trimmed.
    assertProblem(await post(customer, item.id, { rating: 1, text: ` ${'я'.repeat(2000)}` }), 400, '2001 characters as sent');
    const longest = await post(customer, item.id, { rating: 1, text: `  ${'я'.repeat(1996)}  ` });
    assert.equal(longest.statusCode, 201, longest.body);
    assert.equal(longest.json<CommentJson>().text.length, 1996, 'stored trimmed');
    assertProblem(await patch(customer, longest.json<CommentJson>().id, {}), 400, 'an empty patch');
  });

  it('needs a signed-in user and a visible item; sellers may not review their own items', async () => {
    const item = await createItem(app, seller);
    assertProblem(await post(null, item.id, { rating: 5, text: 'x' }), 401);
    assertProblem(await post(customer, randomUUID(), { rating: 5, text: 'x' }), 404);
    assertProblem(await list(randomUUID()), 404);
    const own = assertProblem(await post(seller, item.id, { rating: 5, text: 'Лучший товар' }), 403);
    assert.match(own.detail, /own item/);
    const otherSeller = await newUser('seller', 'reviewer');
    assert.equal((await post(otherSeller, item.id, { rating: 4, text: 'ok' })).statusCode, 201, 'another seller may review');
    assert.equal((await post(admin, item.id, { rating: 4, text: 'ok' })).statusCode, 201, 'an admin may review');

    const gone = await createItem(app, seller);
    const review = (await post(customer, gone.id, { rating: 5, text: 'x' })).json<CommentJson>();
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/items/${gone.id}`, headers: seller.auth })).statusCode, 204);
    assertProblem(await post(customer, gone.id, { rating: 5, text: 'x' }), 404);
    assertProblem(await list(gone.id), 404);
    assertProblem(await remove(customer, review.id), 404, 'reviews of a deleted item are gone with it');
  });

  it('pages newest first, size ≤ 50', async () => {
    const item = await createItem(app, seller);
    const users = await Promise.all(Array.from({ length: 5 }, (_, i) => newUser('customer', `pager${i}`)));
    const ids: string[] = [];
    for (const [i, u] of users.entries()) ids.push((await post(u, item.id, { rating: (i % 5) + 1, text: `review ${i}` })).json<CommentJson>().id);
    const p1 = (await list(item.id, '?page=1&size=2')).json<CommentPageJson>();
    const p3 = (await list(item.id, '?page=3&size=2')).json<CommentPageJson>();
    assert.deepEqual([p1.total, p1.size, p1.items.map((c) => c.id)], [5, 2, [ids[4], ids[3]]]);
    assert.deepEqual(p3.items.map((c) => c.id), [ids[0]]);
    assert.deepEqual(p1.rating, { average: 3, count: 5 });
    assertProblem(await list(item.id, '?size=51'), 400);
    assertProblem(await list(item.id, '?page=0'), 400);
    assert.equal((await list(item.id, '?size=50')).statusCode, 200);
  });
});

describe('concurrency', () => {
  it('concurrent first POSTs by one user make one review (one 201, the rest 200) and count it once', async () => {
    const item = await createItem(app, seller);
    const results = await Promise.all([5, 4, 3, 2, 1].map((rating) => post(customer, item.id, { rating, text: `try ${rating}` })));
    const codes = results.map((r) => r.statusCode).sort();
    assert.deepEqual(codes, [200, 200, 200, 200, 201], results.map((r) => r.body).join('\n'));
    assert.equal(new Set(results.map((r) => r.json<CommentJson>().id)).size, 1);
    const { rows } = await db.query<{ rating: number }>('SELECT rating FROM comments WHERE item_id = $1', [item.id]);
    assert.equal(rows.length, 1);
    const row = await itemRow(item.id);
    assert.deepEqual([row.rating_sum, row.rating_count, row.version], [rows[0]!.rating, 1, item.version + 5], 'the aggregate is the one review; every change is a version');
  });

  it('concurrent reviews by different users all count', async () => {
    const item = await createItem(app, seller);
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => newUser('customer', `crowd${i}`)));
    const results = await Promise.all(users.map((u, i) => post(u, item.id, { rating: (i % 5) + 1, text: 'x' })));
    assert.deepEqual(results.map((r) => r.statusCode), Array(6).fill(201));
    const row = await itemRow(item.id);
    assert.deepEqual([row.rating_sum, row.rating_count, row.version], [1 + 2 + 3 + 4 + 5 + 1, 6, item.version + 6]);
  });
});

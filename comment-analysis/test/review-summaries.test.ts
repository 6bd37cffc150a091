// comment-analysis publishes every change of an item's review summary to `review-summaries`, against the real Kafka,
// PostgreSQL (test database comment_analysis_test), Elasticsearch and sso: review created → revision 1, edited →
// revision 2, a redelivered event → nothing, deleted → the empty summary; each event written to the outbox in the
// transaction of the change and relayed by the kit's relay to the real topic with the trace of the review event; a
// rebuild that changes nothing publishes nothing; a reanalysis that changes a summary publishes it; the
// `publish-summaries` CLI publishes the current summary at revision + 1.
//
// The topic is shared: the stack's own comment-analysis consumes the same comment-events (into its own database) and
// publishes its own events for these items, and other tests publish theirs. So the test reads the events this
// process's service wrote from its outbox, and finds those event ids on the topic.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMENT_EVENTS_TOPIC, REVIEW_SUMMARIES_TOPIC, decodeReviewSummaryEvent, encodeCommentEvent, validateReviewSummaryEvent, type CommentEvent, type ReviewSummaryEvent } from '@shop/contracts';
import { producerOnce, sample } from '../../kit/test/helpers.ts';
import {
  DATABASE_URL, closeProducer, db, reviewEvent, sendEvent, startService, tapTopic, waitFor, type CommentAnalysisApp, type Tap, type TappedMessage,
} from './helpers.ts';

let service: CommentAnalysisApp;
let tap: Tap;
const pool = db();

interface OutboxEvent { eventId: string; topic: string; key: string; event: ReviewSummaryEvent; headers: Record<string, string>; publishedAt: Date | null }

/** The review-summary events this process's service wrote for an item, in the order they are published. */
async function outboxEvents(itemId: string): Promise<OutboxEvent[]> {
  const { rows } = await pool.query<{ event_id: string; topic: string; key: string; payload: unknown; headers: Record<string, string>; published_at: Date | null }>(
    'SELECT event_id, topic, key, payload, headers, published_at FROM outbox WHERE key = $1 ORDER BY id', [itemId]);
  return rows.map((r) => {
    const checked = validateReviewSummaryEvent(r.payload);
    assert.ok(checked.ok, JSON.stringify(checked));
    return { eventId: r.event_id, topic: r.topic, key: r.key, event: checked.value, headers: r.headers, publishedAt: r.published_at };
  });
}

/**
 * Waits until the item has `n` events in the outbox, and checks there are exactly `n` (the caller's last change is
 * the one that makes the n-th, and every earlier one was handled before it: same item, same partition, in order).
 */
async function eventsOf(itemId: string, n: number, what: string): Promise<ReviewSummaryEvent[]> {
  const rows = await waitFor(what, async () => {
    const found = await outboxEvents(itemId);
    return found.length >= n ? found : undefined;
  });
  assert.equal(rows.length, n, `${what}: ${JSON.stringify(rows.map((r) => r.event.data))}`);
  return rows.map((r) => r.event);
}

const storedSummary = async (itemId: string) =>
  (await pool.query<{ revision: number; count: number }>('SELECT revision, count FROM item_review_summaries WHERE item_id = $1', [itemId])).rows[0];

/** A comment event sent with a trace context of its own (what item-crud's relay does), so the summary event can be followed. */
async function sendTraced(event: CommentEvent): Promise<string> {
  const traceId = randomBytes(16).toString('hex');
  await (await producerOnce()).send({
    topic: COMMENT_EVENTS_TOPIC, acks: -1,
    messages: [{ key: event.data.itemId, value: encodeCommentEvent(event), headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } }],
  });
  return traceId;
}

const traceIdOf = (traceparent: string | undefined) => /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]$/.exec(traceparent ?? '')?.[1];

before(async () => {
  tap = await tapTopic(REVIEW_SUMMARIES_TOPIC);
  service = await startService();
});

after(async () => {
  await service?.app.close();
  await tap?.close();
  await closeProducer();
  await pool.end();
});

describe('comment-analysis → review-summaries', () => {
  it('created → revision 1, edited → 2, a redelivery → nothing, deleted → the empty summary; relayed to the topic in order with the trace', async () => {
    const itemId = randomUUID();
    const a = { id: randomUUID(), itemId, rating: 5, text: 'Отличные наушники, звук чистый, батарея держит долго. Рекомендую!' };
    const b = { id: randomUUID(), itemId, rating: 4, text: 'Good value for the price, solid quality' };

    const traceId = await sendTraced(reviewEvent('comment.created', a, 2));
    let events = await eventsOf(itemId, 1, 'the first summary');
    assert.equal(events[0]!.type, 'review-summary.updated');
    assert.equal(events[0]!.source, 'comment-analysis');
    assert.deepEqual({ ...events[0]!.data, summary: undefined }, { itemId, revision: 1, summary: undefined });
    assert.equal(events[0]!.data.summary.count, 1);
    assert.deepEqual(events[0]!.data.summary.sentiment, { positive: 1, neutral: 0, negative: 0 });
    assert.ok(events[0]!.data.summary.praised.includes('sound'), JSON.stringify(events[0]!.data.summary));
    // The route answers the same summary the event carries.
    const route = (await service.app.inject({ method: 'GET', url: `/api/review-analysis/items/${itemId}` })).json() as Record<string, unknown>;
    assert.deepEqual({ ...route, itemId: undefined, updatedAt: undefined }, { ...events[0]!.data.summary, itemId: undefined, updatedAt: undefined });
    assert.equal(route.updatedAt, events[0]!.occurredAt);

    // Edited into a complaint: sentiment changes → revision 2.
    const edited = reviewEvent('comment.updated', { ...a, rating: 1, text: 'Звук ужасный, батарея садится за час. Не покупайте.' }, 3);
    await sendEvent(edited);
    events = await eventsOf(itemId, 2, 'the edit');
    assert.equal(events[1]!.data.revision, 2);
    assert.equal(events[1]!.data.summary.count, 1);
    assert.deepEqual(events[1]!.data.summary.sentiment, { positive: 0, neutral: 0, negative: 1 });
    assert.ok(events[1]!.data.summary.criticized.length > 0, JSON.stringify(events[1]!.data.summary));

    // The same event again and an older one late publish nothing: the next change is revision 3. (Same key, same
    // partition: the service handles them before the marker review.)
    await sendEvent(edited);
    await sendEvent(reviewEvent('comment.created', a, 2));
    await sendEvent(reviewEvent('comment.created', b, 4));
    events = await eventsOf(itemId, 3, 'the marker review after the redelivery');
    assert.equal(events[2]!.data.revision, 3);
    assert.equal(events[2]!.data.summary.count, 2);

    // Deleted: the count goes down, and the last deletion publishes the empty summary (the row stays, at its revision).
    await sendEvent(reviewEvent('comment.deleted', a, 5));
    await sendEvent(reviewEvent('comment.deleted', b, 6));
    events = await eventsOf(itemId, 5, 'the deletions');
    assert.deepEqual(events.map((e) => [e.data.revision, e.data.summary.count]), [[1, 1], [2, 1], [3, 2], [4, 1], [5, 0]]);
    assert.deepEqual(events[4]!.data.summary, { count: 0, sentiment: { positive: 0, neutral: 0, negative: 0 }, score: 0, aspects: [], praised: [], criticized: [] });
    assert.deepEqual(await storedSummary(itemId), { revision: 5, count: 0 });

    // The relay: each outbox row marked published, and on the real topic under the item's key, in revision order,
    // the bytes the outbox holds, with the content type and a trace that continues the review event's.
    const rows = await waitFor('the rows marked published', async () => {
      const found = await outboxEvents(itemId);
      return found.every((r) => r.publishedAt) ? found : undefined;
    });
    assert.ok(rows.every((r) => r.topic === REVIEW_SUMMARIES_TOPIC && r.key === itemId));
    assert.equal(traceIdOf(rows[0]!.headers.traceparent), traceId, 'the outbox row carries the consumer span of the traced review event');
    const ids = new Set(rows.map((r) => r.eventId));
    // At least once: a copy of an event is possible (a relay round retried), so each event counts at its first copy.
    const firstCopies = () => {
      const seen = new Map<string, TappedMessage>();
      for (const m of tap.forKeys([itemId])) {
        const decoded = decodeReviewSummaryEvent(m.value);
        if (decoded.ok && ids.has(decoded.value.id) && !seen.has(decoded.value.id)) seen.set(decoded.value.id, m);
      }
      return [...seen.values()];
    };
    const onTopic = await waitFor('the events on the topic', () => (firstCopies().length === ids.size ? firstCopies() : undefined), 20_000);
    assert.deepEqual(onTopic.map((m) => (decodeReviewSummaryEvent(m.value) as { value: ReviewSummaryEvent }).value), rows.map((r) => r.event),
      'the bytes of the outbox, in revision order');
    assert.equal(new Set(onTopic.map((m) => m.partition)).size, 1, 'one partition: the item key');
    for (const m of onTopic) {
      assert.equal(m.headers['content-type'], 'application/json');
      assert.ok(traceIdOf(m.headers.traceparent), 'a traceparent header');
    }
    assert.equal(traceIdOf(onTopic[0]!.headers.traceparent), traceId, 'the publish continues the trace of the review event');

    const metrics = service.app.metrics;
    assert.ok(await sample(metrics, 'outbox_published_total', { table: 'outbox' }) >= 5);
    const ready = await service.app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal((ready.json() as { checks: Record<string, { status: string }> }).checks.outbox?.status, 'up', ready.body);
  });

  it('a rebuild that changes nothing publishes nothing; a first deletion of an unknown review neither; a reanalysis that changes the summary does', async () => {
    const itemId = randomUUID();
    const r = { id: randomUUID(), itemId, rating: 5, text: 'Отличный чайник, рекомендую' };
    await sendEvent(reviewEvent('comment.created', r, 2));
    await eventsOf(itemId, 1, 'the first summary');

    // The same analysis again (what `reanalyze --all` does with an unchanged lexicon): the summary is rebuilt, the same.
    const stored = (await service.repo.find(r.id))!;
    const analysis = await service.reviews.analyzer.analyze({ text: stored.text, rating: stored.rating });
    assert.equal(await service.repo.reanalyzed(stored, analysis), true);
    assert.deepEqual((await outboxEvents(itemId)).map((e) => e.event.data.revision), [1]);
    assert.deepEqual(await storedSummary(itemId), { revision: 1, count: 1 });

    // As if an older lexicon had judged the review (and so the summary) otherwise: the reanalysis changes the summary.
    await pool.query(`UPDATE comment_analyses SET analyzer_version = 'old', sentiment = 'negative', score = -0.9 WHERE comment_id = $1`, [r.id]);
    await pool.query('UPDATE item_review_summaries SET positive = 0, negative = 1, score = -0.9 WHERE item_id = $1', [itemId]);
    assert.equal(await service.repo.reanalyzed((await service.repo.find(r.id))!, analysis), true);
    const events = (await outboxEvents(itemId)).map((e) => e.event);
    assert.deepEqual(events.map((e) => e.data.revision), [1, 2]);
    assert.deepEqual(events[1]!.data.summary, events[0]!.data.summary, 'back to what the current lexicon says');

    // A deletion of a review never seen on an item without a summary: the tombstone, an empty summary, no event.
    const other = randomUUID();
    const ghost = { id: randomUUID(), itemId: other, rating: 3 };
    await sendEvent(reviewEvent('comment.deleted', ghost, 7));
    await waitFor('the tombstone', async () => (await pool.query('SELECT 1 FROM comment_analyses WHERE comment_id = $1', [ghost.id])).rowCount === 1);
    assert.deepEqual(await storedSummary(other), { revision: 0, count: 0 });
    assert.deepEqual(await outboxEvents(other), [], 'written in the same transaction as the tombstone: none');
  });

  it('publish-summaries publishes the current summary at revision + 1 (a summary from before the topic at revision 1)', async () => {
    const itemId = randomUUID();
    await sendEvent(reviewEvent('comment.created', { id: randomUUID(), itemId, rating: 2, text: 'Маломерит на два размера, пришлось вернуть' }, 2));
    const [first] = await eventsOf(itemId, 1, 'the first summary');
    // A summary written before revisions existed (revision 0, never published).
    const old = randomUUID();
    const aspects = [{ aspect: 'size', mentions: 1, positive: 0, negative: 1 }];
    await pool.query(
      `INSERT INTO item_review_summaries (item_id, count, positive, neutral, negative, score, aspects, updated_at)
       VALUES ($1, 1, 0, 0, 1, -0.5, $2, now() - interval '1 day')`, [old, JSON.stringify(aspects)]);

    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const run = spawnSync(process.execPath, [cli, 'publish-summaries', '--item', itemId, '--item', old.toUpperCase()], {
      env: { ...process.env, DATABASE_URL }, encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.equal((JSON.parse(run.stdout) as { published: number }).published, 2);

    const again = await eventsOf(itemId, 2, 'the republished summary');
    assert.equal(again[1]!.data.revision, 2);
    assert.deepEqual(again[1]!.data.summary, first!.data.summary, 'the same summary, one revision later');
    const [oldEvent] = await eventsOf(old, 1, 'the summary from before');
    assert.equal(oldEvent!.data.revision, 1);
    assert.deepEqual(oldEvent!.data.summary, { count: 1, sentiment: { positive: 0, neutral: 0, negative: 1 }, score: -0.5, aspects, praised: [], criticized: ['size'] });
    assert.deepEqual(await storedSummary(old), { revision: 1, count: 1 });

    // Relayed like any other change.
    await waitFor('the republished event on the topic', () => tap.forKeys([old]).some((m) => {
      const decoded = decodeReviewSummaryEvent(m.value);
      return decoded.ok && decoded.value.id === oldEvent!.id;
    }), 20_000);

    const usage = spawnSync(process.execPath, [cli, 'publish-summaries', '--item', 'nope'], { encoding: 'utf8' });
    assert.equal(usage.status, 64, usage.stderr);
  });
});

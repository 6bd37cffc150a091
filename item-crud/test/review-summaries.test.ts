// The review-summaries consumer against the real PostgreSQL and Kafka: an event stores comment-analysis's
// summary on the item with one version bump and one item.updated (outbox and item-events), redeliveries and
// older revisions change nothing, unknown and deleted items change nothing, invalid messages go to the
// dead-letter topic and the partition moves on, a failed transaction is retried without a second bump, and
// the consumer waits for the item's row lock like every other item change. The test app consumes topics and
// a group of its own (created here, deleted after), so the running item-crud never sees these messages.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { ITEM_EVENTS_TOPIC, decodeItemEvent, encodeReviewSummaryEvent, type ItemEvent, type ReviewSummary, type ReviewSummaryEvent } from '@shop/contracts';
import type { App } from '@shop/kit';
import { REVIEW_SUMMARY_OUTCOMES, type ReviewSummaryOutcome } from '../src/services/review-summaries.ts';
import { closeProducer, committedTotal, createTopics, highTotal, producerOnce, readTopic, sample, uniqueSuffix } from '../../kit/test/helpers.ts';
import {
  createItem, eventually, kafka, newUser, outboxRows, patchItem, pool, startApp, tapTopic, type ItemJson, type Tap, type User,
} from './helpers.ts';

const suffix = uniqueSuffix('rs');
const TOPIC = `item-crud-test-review-summaries-${suffix}`;
const DLQ = `${TOPIC}.dlq`;
const GROUP = `item-crud-test-review-summaries-${suffix}`;
const METRIC = 'item_crud_review_summaries_total';

/** Items whose transaction the test makes fail once (the hook throws on the first try only). */
const failOnce = new Set<string>();

let app: App;
let db: pg.Pool;
let admin: Admin;
let itemTap: Tap;
let seller: User;

before(async () => {
  admin = kafka().admin();
  await admin.connect();
  await createTopics(admin, [TOPIC, DLQ]);
  app = await startApp(
    { REVIEW_SUMMARIES_ENABLED: 'true', REVIEW_SUMMARIES_TOPIC: TOPIC, REVIEW_SUMMARIES_DLQ_TOPIC: DLQ, REVIEW_SUMMARIES_GROUP: GROUP },
    {
      reviewSummaryHooks: {
        beforeCommit: (itemId) => {
          if (failOnce.delete(itemId)) throw new Error('injected failure inside the review-summary transaction');
        },
      },
    },
  );
  db = pool();
  itemTap = await tapTopic(ITEM_EVENTS_TOPIC);
  seller = await newUser('seller');
  await eventually(() => app.reviewSummariesConsumer?.ready || undefined, 30_000, 'the review-summaries consumer in its group');
});

after(async () => {
  await itemTap?.close();
  await app?.close();
  await db?.end();
  await closeProducer();
  await admin.deleteGroups([GROUP]).catch(() => undefined);
  await admin.deleteTopics({ topics: [TOPIC, DLQ] }).catch(() => undefined);
  await admin.disconnect();
});

// ------------------------------------------------------------------ helpers

const summaryOf = (count: number, extra: Partial<ReviewSummary> = {}): ReviewSummary => ({
  count,
  sentiment: { positive: count, neutral: 0, negative: 0 },
  score: count ? 0.75 : 0,
  aspects: [{ aspect: 'quality', mentions: count, positive: count, negative: 0 }],
  praised: count ? ['quality'] : [],
  criticized: [],
  ...extra,
});

const eventOf = (itemId: string, revision: number, summary: ReviewSummary = summaryOf(revision)): ReviewSummaryEvent => ({
  id: randomUUID(), type: 'review-summary.updated', occurredAt: new Date().toISOString(), source: 'comment-analysis',
  data: { itemId, revision, summary },
});

/** Sends values keyed by the item (one partition, in this order). */
async function send(itemId: string, values: (ReviewSummaryEvent | Buffer)[]): Promise<void> {
  const producer = await producerOnce();
  await producer.send({
    topic: TOPIC, acks: -1,
    messages: values.map((v) => ({
      key: itemId, value: Buffer.isBuffer(v) ? v : encodeReviewSummaryEvent(v), headers: { 'content-type': 'application/json' },
    })),
  });
}

/** Every message on the test topic is handled and its offset committed: nothing more will happen. */
const drained = () => eventually(async () => {
  const [done, high] = await Promise.all([committedTotal(admin, GROUP, TOPIC), highTotal(admin, TOPIC)]);
  return done === high ? true : undefined;
}, 30_000, `the consumer group to commit everything on ${TOPIC}`);

interface Row { version: number; review_revision: number; review_summary: ReviewSummary | null; name: string; status: string }
const row = async (id: string): Promise<Row | undefined> =>
  (await db.query<Row>('SELECT version, review_revision, review_summary, name, status::text FROM items WHERE id = $1', [id])).rows[0];

/** The item.updated outbox rows of an item (versions in id order). */
const updatedRows = async (id: string) => (await outboxRows(db, [id])).filter((r) => r.topic === ITEM_EVENTS_TOPIC && r.payload.type === 'item.updated');

const published = (id: string): ItemEvent[] => itemTap.forKeys([id]).map((m) => {
  const decoded = decodeItemEvent(m.value);
  assert.ok(decoded.ok, m.value.toString());
  return decoded.value;
});

const outcomes = async () => Object.fromEntries(await Promise.all(
  REVIEW_SUMMARY_OUTCOMES.map(async (outcome) => [outcome, await sample(app.metrics, METRIC, { outcome })] as const),
)) as Record<ReviewSummaryOutcome, number>;

const getItem = (id: string) => app.inject({ method: 'GET', url: `/api/items/${id}` });

// ------------------------------------------------------------------ tests

describe('review-summaries consumer', () => {
  it('is a readiness check of the service', async () => {
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.body, /review-summaries consumer/);
  });

  it('stores the summary with one version bump and one item.updated, shown by GET /api/items/:id', async () => {
    const item = await createItem(app, seller);
    const before = await outcomes();
    const summary = summaryOf(3, { sentiment: { positive: 2, neutral: 0, negative: 1 }, score: 0.4, criticized: ['size'] });
    await send(item.id, [eventOf(item.id, 1, summary)]);

    const stored = await eventually(async () => {
      const r = await row(item.id);
      return r && r.review_revision === 1 ? r : undefined;
    }, 30_000, 'the summary on the item');
    assert.equal(stored.version, item.version + 1);
    assert.deepEqual(stored.review_summary, summary, 'the whole summary, aspects included, as the contract has it');

    const updates = await updatedRows(item.id);
    assert.deepEqual(updates.map((r) => r.payload.version), [item.version + 1], 'one item.updated, at the new version');
    const events = await eventually(() => {
      const e = published(item.id).filter((x) => x.type === 'item.updated');
      return e.length ? e : undefined;
    }, 15_000, 'item.updated on item-events');
    assert.deepEqual(events.map((e) => e.version), [item.version + 1]);
    assert.equal(events[0]!.data.name, item.name);

    const res = await getItem(item.id);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers.etag, `"${item.version + 1}"`);
    assert.deepEqual(res.json<ItemJson>().reviewSummary, {
      count: 3, sentiment: { positive: 2, neutral: 0, negative: 1 }, score: 0.4, praised: ['quality'], criticized: ['size'],
    });
    await drained();
    assert.equal((await outcomes()).applied - before.applied, 1);
  });

  it('ignores redeliveries and older revisions', async () => {
    const item = await createItem(app, seller);
    const before = await outcomes();
    const newest = eventOf(item.id, 3, summaryOf(3));
    // Revision 3, the same event again (a redelivery), another copy of revision 3, then the older revisions 2 and 1.
    await send(item.id, [newest, newest, eventOf(item.id, 3, summaryOf(30)), eventOf(item.id, 2), eventOf(item.id, 1)]);
    await drained();

    const r = await row(item.id);
    assert.equal(r?.review_revision, 3);
    assert.equal(r?.version, item.version + 1, 'one bump for five messages');
    assert.deepEqual(r?.review_summary, summaryOf(3), 'the first copy of revision 3 stays');
    assert.deepEqual((await updatedRows(item.id)).map((x) => x.payload.version), [item.version + 1]);

    // A newer revision still applies.
    await send(item.id, [eventOf(item.id, 4)]);
    await drained();
    assert.deepEqual([(await row(item.id))?.review_revision, (await row(item.id))?.version], [4, item.version + 2]);
    assert.deepEqual((await updatedRows(item.id)).map((x) => x.payload.version), [item.version + 1, item.version + 2]);
    const after = await outcomes();
    assert.equal(after.applied - before.applied, 2);
    assert.equal(after.stale - before.stale, 4);
  });

  it('changes nothing for an unknown item or a deleted one', async () => {
    const before = await outcomes();
    const unknown = randomUUID();
    const item = await createItem(app, seller);
    const deleted = await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: seller.auth });
    assert.equal(deleted.statusCode, 204, deleted.body);
    const rowsBefore = await outboxRows(db, [item.id]);

    await send(unknown, [eventOf(unknown, 1)]);
    await send(item.id, [eventOf(item.id, 1)]);
    await drained();

    assert.equal(await row(unknown), undefined, 'no item is made up');
    assert.deepEqual(await outboxRows(db, [unknown]), []);
    const r = await row(item.id);
    assert.deepEqual([r?.status, r?.version, r?.review_revision, r?.review_summary], ['deleted', item.version + 1, 0, null]);
    assert.deepEqual((await outboxRows(db, [item.id])).map((x) => x.id), rowsBefore.map((x) => x.id), 'no event after the deletion');
    const after = await outcomes();
    assert.equal(after['unknown-item'] - before['unknown-item'], 1);
    assert.equal(after['deleted-item'] - before['deleted-item'], 1);
  });

  it('dead-letters invalid messages with the reason and goes on with the partition', async () => {
    const item = await createItem(app, seller);
    const before = await outcomes();
    const badCounts = { ...eventOf(item.id, 1), data: { itemId: item.id, revision: 1, summary: summaryOf(2, { count: 5 }) } };
    // Same key, so the same partition: the valid event after them is handled only if the partition moves on.
    await send(item.id, [Buffer.from('{not json'), Buffer.from(JSON.stringify(badCounts)), eventOf(item.id, 2)]);

    await eventually(async () => ((await row(item.id))?.review_revision === 2 ? true : undefined), 30_000, 'the valid event after the invalid ones');
    const dead = await readTopic(admin, DLQ, (all) => all.filter((d) => d.message.key?.toString() === item.id).length >= 2);
    const mine = dead.filter((d) => d.message.key?.toString() === item.id).sort((a, b) => Number(a.header('x-original-offset')) - Number(b.header('x-original-offset')));
    assert.equal(mine.length, 2);
    assert.match(mine[0]!.header('x-dlq-reason') ?? '', /^invalid-json: /);
    assert.equal(mine[0]!.message.value?.toString(), '{not json', 'the original bytes');
    assert.match(mine[1]!.header('x-dlq-reason') ?? '', /^schema: .*count/);
    assert.equal(mine[1]!.header('x-original-topic'), TOPIC);

    await drained();
    const r = await row(item.id);
    assert.deepEqual([r?.version, r?.review_revision], [item.version + 1, 2]);
    const after = await outcomes();
    assert.equal(after.invalid - before.invalid, 2);
    assert.equal(after.applied - before.applied, 1);
  });

  it('retries a failed transaction without a second bump or event', async () => {
    const item = await createItem(app, seller);
    failOnce.add(item.id);
    await send(item.id, [eventOf(item.id, 1)]);
    await drained();
    assert.equal(failOnce.has(item.id), false, 'the first attempt failed');
    const r = await row(item.id);
    assert.deepEqual([r?.version, r?.review_revision], [item.version + 1, 1]);
    assert.deepEqual((await updatedRows(item.id)).map((x) => x.payload.version), [item.version + 1], 'the failed attempt left no outbox row');
  });

  it('waits for the item row lock, so a seller holding the old ETag gets a 412', async () => {
    const item = await createItem(app, seller);
    const holder = await db.connect();
    try {
      // A concurrent item change (what a PATCH does) holds the row lock: the consumer must wait for it.
      await holder.query('BEGIN');
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await holder.query('SELECT 1 FROM items WHERE id = $1 FOR UPDATE', [item.id]);
      await send(item.id, [eventOf(item.id, 1)]);
      await eventually(async () => {
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid]);
        return rows[0]!.n > 0 ? true : undefined;
      }, 30_000, 'the consumer to wait for the row lock');
      assert.equal((await row(item.id))?.version, item.version, 'nothing changed while the lock is held');
      await holder.query('UPDATE items SET name = $2, version = version + 1, updated_at = now() WHERE id = $1 AND version = $3', [item.id, 'Renamed meanwhile', item.version]);
      await holder.query('COMMIT');
    } catch (err) {
      await holder.query('ROLLBACK');
      throw err;
    } finally {
      holder.release();
    }
    await drained();
    const r = await row(item.id);
    assert.deepEqual([r?.version, r?.review_revision, r?.name], [item.version + 2, 1, 'Renamed meanwhile'], 'applied on top of the other change');
    const [update] = (await updatedRows(item.id)).filter((x) => x.payload.version === item.version + 2);
    assert.equal((update?.payload.data as { name?: string } | undefined)?.name, 'Renamed meanwhile', 'the event snapshot is the row as committed');

    // The seller's ETag from before the summary is stale now; the current one works and keeps the summary.
    const stale = await patchItem(app, seller, item.id, `"${item.version + 1}"`, { stock: 7 });
    assert.equal(stale.statusCode, 412, stale.body);
    const fresh = await patchItem(app, seller, item.id, `"${item.version + 2}"`, { stock: 7 });
    assert.equal(fresh.statusCode, 200, fresh.body);
    assert.equal(fresh.json<ItemJson>().version, item.version + 3);
    assert.equal(fresh.json<ItemJson>().reviewSummary?.count, 1);
  });
});

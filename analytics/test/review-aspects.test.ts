// The most criticized aspects per category, against the real PostgreSQL and Kafka: review summaries of items in two
// categories of this run's own making (the item dimension written through the item-events consumer's own upsert, so
// no fake item reaches the shared item-events topic) put on `review-summaries` → the per-category figures of the view
// `review_aspects_by_category`; a redelivered and an older revision change nothing; a deleted item is left out, an
// item not yet known joins its category once item-events makes it known; an invalid message and a summary the tables
// cannot hold go to `review-summaries.dlq` with the reason while the partition moves on; the "Shop reviews" panel's
// SQL, run as Grafana's read-only role, returns these rows; the admin route answers the same figures.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Admin } from 'kafkajs';
import {
  REVIEW_SUMMARIES_DLQ_TOPIC, REVIEW_SUMMARIES_TOPIC, encodeReviewSummaryEvent, type AspectTally, type ItemEvent, type ReviewSummaryEvent,
} from '@shop/contracts';
import { newAdmin, newUser } from '../../item-crud/test/helpers.ts';
import { sample } from '../../kit/test/helpers.ts';
import { closeProducer, db, deleteGroups, kafka, readTopic, sendRaw, startAnalytics, waitFor, type AnalyticsApp } from './helpers.ts';

const PGHOST = process.env.PGHOST ?? '127.0.0.1';
const PGPORT = process.env.PGPORT ?? '5432';

// Categories and items of this run only: nothing another test or the demo data writes can fall into them.
const tag = randomBytes(4).toString('hex');
const KETTLES = `rtest-${tag}-kettles`;
const PHONES = `rtest-${tag}-phones`;
const [k1, k2, p1, later, gone] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];

let svc: AnalyticsApp;
let admin: Admin;
let reader: pg.Pool;
const pool = db();

function itemEvent(id: string, category: string, version: number, deleted = false): ItemEvent {
  const at = new Date().toISOString();
  return {
    id: randomUUID(), type: deleted ? 'item.deleted' : version === 1 ? 'item.created' : 'item.updated', version, occurredAt: at, source: 'analytics-test',
    data: {
      id, article: 1, sellerId: randomUUID(), name: `Review test ${id.slice(0, 8)}`, description: '', brand: 'Test', category, price: '10.00', currency: 'RUB',
      stock: 1, attributes: {}, images: [], status: deleted ? 'deleted' : 'active', version, createdAt: at, updatedAt: at,
    },
  };
}

const tally = (aspect: string, mentions: number, positive: number, negative: number): AspectTally => ({ aspect, mentions, positive, negative });

function summaryEvent(itemId: string, revision: number, aspects: AspectTally[]): ReviewSummaryEvent {
  const negative = Math.max(0, ...aspects.map((a) => a.negative));
  const positive = Math.max(0, ...aspects.map((a) => a.positive));
  return {
    id: randomUUID(), type: 'review-summary.updated', occurredAt: new Date().toISOString(), source: 'analytics-test',
    data: {
      itemId, revision,
      summary: { count: positive + negative, sentiment: { positive, neutral: 0, negative }, score: 0, aspects, praised: [], criticized: [] },
    },
  };
}

type Position = { partition: number; offset: string };
const sent: Position[] = [];

/** Sends raw bytes with a key; remembers where they landed. */
async function sendBytes(key: string, value: Buffer): Promise<Position> {
  const at = await sendRaw(REVIEW_SUMMARIES_TOPIC, key, value);
  sent.push(at);
  return at;
}
/** A summary, keyed by its item id as comment-analysis keys them. */
const send = (e: ReviewSummaryEvent) => sendBytes(e.data.itemId, encodeReviewSummaryEvent(e));

/**
 * Until this process's consumer group has committed past every message sent so far: their transactions are done
 * (the running analytics, another group, may have stored them first), and the partitions moved on.
 */
async function allConsumed(): Promise<void> {
  const groupId = svc.consumers.find((c) => c.groupId.startsWith('analytics-test-reviews-'))!.groupId;
  await waitFor('review-summaries consumed by the test group', async () => {
    const [topic] = await admin.fetchOffsets({ groupId, topics: [REVIEW_SUMMARIES_TOPIC] });
    const committed = new Map((topic?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return sent.every((at) => (committed.get(at.partition) ?? -1) > Number(at.offset));
  }, 30_000, 100);
}

const revision = async (itemId: string) => Number((await pool.query('SELECT revision FROM item_review_summaries WHERE item_id = $1', [itemId])).rows[0]?.revision ?? 0);

/** The view's rows of this run's categories, as plain values. */
async function view(db: pg.Pool = pool) {
  const { rows } = await db.query(
    `SELECT category, aspect, items, mentions::int, positive::int, negative::int, negative_share::float AS share
     FROM review_aspects_by_category WHERE category = ANY($1) ORDER BY category, aspect`,
    [[KETTLES, PHONES]],
  );
  return rows;
}

const EXPECTED = [
  { category: KETTLES, aspect: 'delivery', items: 1, mentions: 2, positive: 1, negative: 1, share: 0.5 },
  { category: KETTLES, aspect: 'quality', items: 1, mentions: 2, positive: 2, negative: 0, share: 0 },
  { category: KETTLES, aspect: 'size', items: 2, mentions: 6, positive: 1, negative: 4, share: 0.8 },
  { category: PHONES, aspect: 'battery', items: 1, mentions: 5, positive: 1, negative: 4, share: 0.8 },
  { category: PHONES, aspect: 'screen', items: 1, mentions: 2, positive: 2, negative: 0, share: 0 },
];

before(async () => {
  admin = kafka().admin();
  await admin.connect();
  svc = await startAnalytics();
  reader = new pg.Pool({
    host: PGHOST, port: Number(PGPORT), user: process.env.ANALYTICS_READER_USER ?? 'analytics_reader',
    password: process.env.ANALYTICS_READER_PASSWORD ?? 'analytics-reader', database: 'analytics', max: 2,
  });
  // The item dimension: two kettles, a phone, a deleted kettle; `later` is not known yet.
  for (const e of [itemEvent(k1, KETTLES, 1), itemEvent(k2, KETTLES, 1), itemEvent(p1, PHONES, 1), itemEvent(gone, KETTLES, 1), itemEvent(gone, KETTLES, 2, true)]) {
    await svc.repo.upsertItem(e);
  }
  // k1's revision 1 first (replaced by its revision 2), then everything else.
  await send(summaryEvent(k1, 1, [tally('size', 3, 0, 2)]));
  for (const e of [
    summaryEvent(k1, 2, [tally('size', 4, 1, 3), tally('quality', 2, 2, 0)]),
    summaryEvent(k2, 1, [tally('size', 2, 0, 1), tally('delivery', 2, 1, 1)]),
    summaryEvent(p1, 1, [tally('battery', 5, 1, 4), tally('screen', 2, 2, 0)]),
    summaryEvent(gone, 1, [tally('size', 5, 0, 5)]),
    summaryEvent(later, 1, [tally('screen', 3, 0, 3)]),
  ]) await send(e);
  await allConsumed();
});

after(async () => {
  await svc?.app.close();
  if (svc) await deleteGroups(svc.consumers.map((c) => c.groupId));
  await admin?.disconnect();
  await closeProducer();
  await reader?.end();
  await pool.end();
});

describe('criticized aspects per category', () => {
  it('per category: negative and positive mentions and the negative share over the current summaries; deleted and unknown items left out', async () => {
    assert.deepEqual(await view(), EXPECTED);
    const { rows } = await pool.query('SELECT aspect, mentions, positive, negative FROM item_review_aspects WHERE item_id = $1 ORDER BY aspect', [k1]);
    assert.deepEqual(rows, [{ aspect: 'quality', mentions: 2, positive: 2, negative: 0 }, { aspect: 'size', mentions: 4, positive: 1, negative: 3 }], 'revision 2 replaced revision 1');
    const { rows: unknown } = await pool.query('SELECT category FROM review_aspects_by_category v WHERE v.category IS NULL AND v.aspect = $1', ['screen']);
    assert.equal(unknown.length, 1, 'an item not known yet is under category null');
  });

  it('a redelivered and an older revision change nothing', async () => {
    const stale = () => sample(svc.app.metrics, 'analytics_review_summaries_total', { outcome: 'stale' });
    const before = await stale();
    const rev2 = summaryEvent(k1, 2, [tally('size', 4, 1, 3), tally('quality', 2, 2, 0)]);
    await send(rev2);
    await send(rev2); // the same message again
    await send(summaryEvent(k1, 2, [tally('size', 9, 0, 9)])); // another copy of revision 2 with other figures
    await send(summaryEvent(k1, 1, [tally('size', 1, 0, 1)])); // older
    await allConsumed();
    assert.equal(await revision(k1), 2);
    assert.deepEqual(await view(), EXPECTED);
    // At least: other producers' messages may arrive on the shared topic meanwhile.
    assert.ok((await stale()) - before >= 4, 'each counted as stale');
  });

  it('an item that becomes known joins its category; a later revision replaces the aspects, also when some go', async () => {
    await svc.repo.upsertItem(itemEvent(later, PHONES, 1));
    const phones = (await view()).filter((r) => r.category === PHONES);
    assert.deepEqual(phones.find((r) => r.aspect === 'screen'), { category: PHONES, aspect: 'screen', items: 2, mentions: 5, positive: 2, negative: 3, share: 0.6 });
    await send(summaryEvent(later, 2, [])); // its reviews deleted
    await allConsumed();
    assert.equal(await revision(later), 2);
    assert.deepEqual(await view(), EXPECTED);
  });

  it('the "Most criticized aspects per category" panel of "Shop reviews" returns these rows as the read-only role', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../infra/compose/grafana/dashboards/shop-reviews.json', import.meta.url), 'utf8')) as {
      panels: { title: string; datasource: { uid: string }; targets: { rawSql?: string; datasource?: { uid: string } }[] }[];
    };
    const panels = dashboard.panels.filter((p) => p.datasource.uid === 'analytics');
    assert.deepEqual(panels.map((p) => p.title), ['Most criticized aspects per category']);
    const [target] = panels[0]!.targets;
    assert.equal(target?.datasource?.uid, 'analytics');
    assert.doesNotMatch(target!.rawSql!, /\$\w/, 'no macros or variables to substitute');
    const { rows } = await reader.query(target!.rawSql!);
    const mine = rows.filter((r) => r.category === KETTLES || r.category === PHONES)
      .map((r) => [r.category, r.aspect, Number(r.negative), Number(r.positive), Number(r['negative share']), Number(r.mentions), Number(r.items)]);
    assert.deepEqual(mine, [
      [KETTLES, 'size', 4, 1, 0.8, 6, 2], [KETTLES, 'delivery', 1, 1, 0.5, 2, 1],
      [PHONES, 'battery', 4, 1, 0.8, 5, 1],
    ], 'criticized aspects only, most negative mentions first, per category');
    // The role reads the new table and view and may not write them.
    await reader.query('SELECT 1 FROM item_review_aspects LIMIT 1');
    await assert.rejects(reader.query('DELETE FROM item_review_summaries'), /permission denied/);
  });

  it('an invalid message and a summary the tables cannot hold are dead-lettered with the reason; the partition moves on', async () => {
    const refused = () => sample(svc.app.metrics, 'analytics_review_summaries_total', { outcome: 'refused' });
    const before = await refused();
    const item = randomUUID();
    await sendBytes(item, Buffer.from('{"type":"review-summary.updated"}'));
    await send(summaryEvent(item, 1, [tally('size', 1, 1, 1)])); // positive + negative > mentions
    await send(summaryEvent(item, 2, [tally('size', 2, 1, 1)]));
    await allConsumed();
    assert.equal(await revision(item), 2, 'the valid one after them was stored');
    const dead = await readTopic(admin, REVIEW_SUMMARIES_DLQ_TOPIC, (read) => {
      const reasons = read.filter((r) => r.message.key?.toString() === item).map((r) => r.header('x-dlq-reason') ?? '');
      return reasons.some((r) => r.startsWith('schema: ')) && reasons.some((r) => r.startsWith('inconsistent-aspect: '));
    }, 30_000);
    const letter = dead.find((r) => r.message.key?.toString() === item && r.header('x-dlq-reason')?.startsWith('schema: '))!;
    assert.equal(letter.header('x-original-topic'), REVIEW_SUMMARIES_TOPIC);
    assert.equal(letter.message.value?.toString(), '{"type":"review-summary.updated"}', 'the original bytes');
    assert.ok((await refused()) - before >= 2);
  });

  it('GET /api/analytics/reviews/aspects: admins only, per category, limits', async () => {
    const [adminUser, customer] = await Promise.all([newAdmin(), newUser('customer')]);
    const get = async (url: string, headers: Record<string, string> = adminUser.auth) => {
      const res = await svc.app.inject({ method: 'GET', url, headers });
      return { status: res.statusCode, body: res.json(), type: String(res.headers['content-type']) };
    };
    const one = await get(`/api/analytics/reviews/aspects?category=${KETTLES}`);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.deepEqual(one.body, {
      category: KETTLES, limit: 5,
      categories: [{
        category: KETTLES, aspects: [
          { aspect: 'size', items: 2, mentions: 6, positive: 1, negative: 4, negativeShare: 0.8 },
          { aspect: 'delivery', items: 1, mentions: 2, positive: 1, negative: 1, negativeShare: 0.5 },
        ],
      }],
    });
    assert.deepEqual((await get(`/api/analytics/reviews/aspects?category=${KETTLES}&limit=1`)).body.categories[0].aspects.map((a: { aspect: string }) => a.aspect), ['size']);
    const all = await get('/api/analytics/reviews/aspects?limit=50');
    assert.equal(all.status, 200);
    const phones = all.body.categories.find((c: { category: string | null }) => c.category === PHONES);
    assert.deepEqual(phones, { category: PHONES, aspects: [{ aspect: 'battery', items: 1, mentions: 5, positive: 1, negative: 4, negativeShare: 0.8 }] });
    assert.deepEqual((await get('/api/analytics/reviews/aspects?category=rtest-no-such-category')).body.categories, []);
    assert.equal((await get('/api/analytics/reviews/aspects', customer.auth)).status, 403);
    assert.equal((await get('/api/analytics/reviews/aspects', {})).status, 401);
    for (const q of ['limit=0', 'limit=51', 'category=Not%20a%20slug', 'from=2026-01-01T00:00:00Z']) {
      const res = await get(`/api/analytics/reviews/aspects?${q}`);
      assert.equal(res.status, 400, q);
      assert.match(res.type, /application\/problem\+json/, q);
    }
  });
});

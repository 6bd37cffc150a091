// The review summary (`items.review_summary`, written by item-crud from comment-analysis's events) in the search
// document, on every path that builds one: the consumer's enrichment of event snapshots, the rebuild's row scan
// and reconcile's repair — against the real Kafka, Elasticsearch and PostgreSQL, with this file's own topics,
// alias, consumer group, seller and categories.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReviewSummary } from '@shop/contracts';
import type { App } from '@shop/kit';
import { buildService } from '../src/app.ts';
import { createFixture, runCli, waitFor, type Fixture } from './helpers.ts';

let f: Fixture;
let app: App;

const SUMMARY: ReviewSummary = {
  count: 5, sentiment: { positive: 4, neutral: 0, negative: 1 }, score: 0.62,
  aspects: [{ aspect: 'sound', mentions: 4, positive: 4, negative: 0 }, { aspect: 'battery', mentions: 2, positive: 0, negative: 2 }],
  praised: ['sound'], criticized: ['battery'],
};
const COMPACT = { count: 5, positive: 4, neutral: 0, negative: 1, score: 0.62, positiveShare: 0.8, praised: ['sound'], criticized: ['battery'] };
const NONE = { count: 0, positive: 0, neutral: 0, negative: 0, score: 0, positiveShare: 0, praised: [], criticized: [] };

type Doc = Record<string, unknown> & { version: number; reviewSummary?: unknown };
const docAt = (id: string, version: number) => waitFor(`document ${id} at v${version}`, async () => {
  const doc = await f.doc(id) as Doc | undefined;
  return doc && doc.version >= version ? doc : undefined;
});

before(async () => {
  f = await createFixture('reviews');
  ({ app } = await buildService(f.env()));
  await app.ready();
});
after(async () => {
  await app?.close();
  await f?.close();
});

describe('the review summary in the document', () => {
  it('the consumer reads it from the item row with the rating: compact, no aspect list', async () => {
    const s = f.snapshot({ name: 'Наушники с отзывами' });
    await f.insertItem(s, { ratingSum: 18, ratingCount: 4, reviewSummary: SUMMARY });
    await f.produceEvents([f.event('item.created', s)]);
    const doc = await docAt(s.id, 1);
    assert.deepEqual(doc.reviewSummary, COMPACT);
    assert.deepEqual(doc.rating, { average: 4.5, count: 4 });
  });

  it('an item without a summary (or without a row) has count 0 and empty lists', async () => {
    const s = f.snapshot({ name: 'Наушники без отзывов' });
    await f.insertItem(s);
    const orphan = f.snapshot({ name: 'Наушники без строки' });
    await f.produceEvents([f.event('item.created', s), f.event('item.created', orphan)]);
    assert.deepEqual((await docAt(s.id, 1)).reviewSummary, NONE);
    assert.deepEqual((await docAt(orphan.id, 1)).reviewSummary, NONE);
  });

  it('follows the summary item-crud stores with the version bump it publishes', async () => {
    const s = f.snapshot({ name: 'Наушники меняют мнение' });
    await f.insertItem(s);
    await f.produceEvents([f.event('item.created', s)]);
    assert.deepEqual((await docAt(s.id, 1)).reviewSummary, NONE);
    const v2 = { ...s, version: 2, updatedAt: new Date().toISOString() };
    await f.insertItem(v2, { reviewSummary: SUMMARY }); // the database first, then the event (item-crud's outbox)
    await f.produceEvents([f.event('item.updated', v2)]);
    assert.deepEqual((await docAt(s.id, 2)).reviewSummary, COMPACT);
    await f.es.indices.refresh({ index: f.alias }); // f.doc's get is real-time: the write may postdate its refresh
    const found = await f.es.search({ index: f.alias, query: { bool: { filter: [{ term: { 'reviewSummary.praised': 'sound' } }, { term: { sellerId: f.sellerId } }] } } });
    assert.ok(found.hits.hits.some((h) => h._id === s.id), 'searchable by a praised aspect');
  });

  it('rebuild and reconcile --repair build it from the rows they read', async () => {
    const s = f.snapshot({ name: 'Наушники для перестройки' });
    await f.insertItem(s, { reviewSummary: SUMMARY });
    const bare = f.snapshot({ name: 'Наушники без отзывов для перестройки' });
    await f.insertItem(bare);
    // No events: only the rebuild's scan of PostgreSQL can index these two.
    const before = await f.lifecycle.liveIndex();
    const rebuilt = await runCli(['rebuild', '--grace-ms', '0'], f.env({ LOG_LEVEL: 'warn' }));
    assert.equal(rebuilt.code, 0, `${rebuilt.stdout}\n${rebuilt.stderr}`);
    assert.notEqual(await f.lifecycle.liveIndex(), before, 'a new index behind the alias');
    assert.deepEqual((await f.doc(s.id) as Doc).reviewSummary, COMPACT);
    assert.deepEqual((await f.doc(bare.id) as Doc).reviewSummary, NONE);

    // Changed in the database without an event (stale in the index): the repair re-reads the row, summary included.
    const changed: ReviewSummary = { ...SUMMARY, count: 6, sentiment: { positive: 4, neutral: 0, negative: 2 }, score: 0.3, praised: [], criticized: ['battery', 'sound'] };
    await f.insertItem({ ...s, version: 2, updatedAt: new Date().toISOString() }, { reviewSummary: changed });
    const repaired = await runCli(['reconcile', '--repair', '--seller', f.sellerId], f.env({ LOG_LEVEL: 'warn' }));
    assert.equal(repaired.code, 0, `${repaired.stdout}\n${repaired.stderr}`);
    const doc = await f.doc(s.id) as Doc;
    assert.equal(doc.version, 2);
    assert.deepEqual(doc.reviewSummary, { count: 6, positive: 4, neutral: 0, negative: 2, score: 0.3, positiveShare: 0.6667, praised: [], criticized: ['battery', 'sound'] });
  });
});

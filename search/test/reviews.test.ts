// The review summary in search against the real Elasticsearch and Redis, on indices of our own: the
// `reviews` sort, the `minReviewScore` and `praised` filters, the summary on every hit, their bounded
// input, the cache keys, and an index item-etl has not upgraded yet (no reviewSummary field).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ReviewSummary } from '@shop/contracts';
import type { App } from '@shop/kit';
import { itemIndexSettings, itemMappings } from '../../item-etl/src/index/mapping.ts';
import { type FixtureItem, type IndexFixture, indexItems, refusesEach, startSearch } from './helpers.ts';

/** A summary of `positive`/`neutral`/`negative` reviews with mean `score`. */
const reviews = (positive: number, neutral: number, negative: number, score: number, praised: string[] = [], criticized: string[] = []): ReviewSummary => ({
  count: positive + neutral + negative, sentiment: { positive, neutral, negative }, score,
  aspects: [...praised, ...criticized].map((aspect) => ({ aspect, mentions: 2, positive: praised.includes(aspect) ? 2 : 0, negative: criticized.includes(aspect) ? 2 : 0 })),
  praised, criticized,
});

const item = (key: string, name: string, brand: string, extra: Partial<FixtureItem> = {}): FixtureItem => ({
  key, id: randomUUID(), name, description: '', brand, category: 'headphones', price: '4990.00', stock: 5, ...extra,
});

const ITEMS = [
  item('studio', 'Наушники Studio Pro', 'Sony', { reviews: reviews(9, 1, 0, 0.85, ['sound', 'comfort'], []) }),
  item('bass', 'Наушники Bass Boost', 'JBL', { reviews: reviews(4, 0, 0, 0.85, ['sound'], ['battery']) }),
  item('travel', 'Наушники Travel', 'Sony', { reviews: reviews(6, 2, 2, 0.4, ['battery', 'comfort'], ['sound']) }),
  item('budget', 'Наушники Budget', 'Xiaomi', { reviews: reviews(1, 1, 3, -0.35, [], ['sound', 'quality']) }),
  item('meh', 'Наушники Basic', 'Xiaomi', { reviews: reviews(0, 2, 0, 0, [], []) }),
  item('new', 'Наушники Новинка', 'JBL'),
  item('gamer', 'Наушники Gamer', 'Razer', { reviews: reviews(3, 0, 0, 0.6, ['sound', 'battery'], []), price: '9990.00' }),
  item('kettle', 'Чайник электрический', 'Philips', { category: 'kitchen', reviews: reviews(2, 0, 0, 0.9, ['quality'], []) }),
];
const keyOf = new Map(ITEMS.map((i) => [i.id, i.key]));

interface Hit { id: string; reviewSummary: { count: number; score: number; praised: string[]; criticized: string[] } }
interface Body { total: number; items: Hit[]; cached: boolean; facets: { brand: { value: string; count: number }[] } }

let fixture: IndexFixture;
let app: App;
const prefix = `test-search-reviews-${randomBytes(4).toString('hex')}`;

async function search(qs: string, target: App = app): Promise<Body> {
  const res = await target.inject({ url: `/api/search?${qs}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Body;
}
const keys = (b: Body) => b.items.map((i) => keyOf.get(i.id));

before(async () => {
  fixture = await indexItems('reviews', ITEMS);
  app = await startSearch({ ITEMS_ALIAS: fixture.alias, SEARCH_REDIS_PREFIX: prefix });
});

after(async () => {
  await app?.close();
  await fixture?.close();
});

describe('the review summary on hits', () => {
  it('every hit carries count, score, praised and criticized; an item without reviews has count 0 and empty lists', async () => {
    const body = await search('size=20');
    assert.equal(body.total, ITEMS.length);
    const hits = new Map(body.items.map((h) => [keyOf.get(h.id), h.reviewSummary]));
    assert.deepEqual(hits.get('travel'), { count: 10, score: 0.4, praised: ['battery', 'comfort'], criticized: ['sound'] });
    assert.deepEqual(hits.get('new'), { count: 0, score: 0, praised: [], criticized: [] });
  });
});

describe('sort=reviews', () => {
  it('orders by the reviews\' mean score, then by their count, then by id', async () => {
    const body = await search('sort=reviews&size=20');
    // 0.85 twice: studio's 10 reviews before bass's 4; score 0 twice: meh's 2 all-neutral reviews before new's none;
    // an item without reviews (score 0) ranks above one whose reviews are mostly negative.
    assert.deepEqual(keys(body), ['kettle', 'studio', 'bass', 'gamer', 'travel', 'meh', 'new', 'budget']);
  });

  it('breaks equal score and count by id, stably across pages', async () => {
    const twins = [
      item('twin-a', 'Наушники Twin', 'Twin', { reviews: reviews(2, 0, 0, 0.5) }),
      item('twin-b', 'Наушники Twin', 'Twin', { reviews: reviews(2, 0, 0, 0.5) }),
      item('twin-c', 'Наушники Twin', 'Twin', { reviews: reviews(2, 0, 0, 0.5) }),
    ];
    const own = await indexItems('reviews-ties', twins);
    const local = await startSearch({ ITEMS_ALIAS: own.alias, SEARCH_REDIS_PREFIX: prefix });
    try {
      const order = twins.map((t) => t.id).sort();
      const all = (await search('sort=reviews', local)).items.map((h) => h.id);
      assert.deepEqual(all, order);
      const pages = [...(await search('sort=reviews&size=2&page=1', local)).items, ...(await search('sort=reviews&size=2&page=2', local)).items];
      assert.deepEqual(pages.map((h) => h.id), order);
    } finally {
      await local.close();
      await own.close();
    }
  });

  it('sorts the matches of a query too', async () => {
    assert.deepEqual(keys(await search(`q=${encodeURIComponent('наушники sony')}&sort=reviews`)), ['studio', 'travel']);
  });
});

describe('filters', () => {
  it('minReviewScore keeps items with reviews whose mean score is at least the value (inclusive)', async () => {
    assert.deepEqual(keys(await search('minReviewScore=0.85&sort=reviews')), ['kettle', 'studio', 'bass']);
    assert.deepEqual(keys(await search('minReviewScore=0.5&sort=reviews')), ['kettle', 'studio', 'bass', 'gamer']);
    assert.deepEqual(keys(await search('minReviewScore=1')), []);
  });

  it('minReviewScore never matches an item without reviews, whatever the threshold', async () => {
    const low = keys(await search('minReviewScore=-1&sort=reviews&size=20'));
    assert.deepEqual(low, ['kettle', 'studio', 'bass', 'gamer', 'travel', 'meh', 'budget']);
    assert.ok(!keys(await search('minReviewScore=0&size=20')).includes('new'));
    assert.ok(keys(await search('minReviewScore=0&size=20')).includes('meh'), 'an all-neutral item has score 0 and reviews');
  });

  it('praised keeps items whose reviews mostly praise the aspect; several aspects must all be praised', async () => {
    assert.deepEqual(keys(await search('praised=sound&sort=reviews')), ['studio', 'bass', 'gamer']);
    assert.deepEqual(keys(await search('praised=battery&sort=reviews')), ['gamer', 'travel']);
    assert.deepEqual(keys(await search('praised=sound&praised=battery')), ['gamer']);
    assert.deepEqual(keys(await search('praised=sound&praised=battery&praised=comfort')), []);
    assert.deepEqual(keys(await search('praised=packaging')), [], 'an aspect nobody praised');
  });

  it('combines with the text query, the other filters and the facets', async () => {
    assert.deepEqual(keys(await search(`q=${encodeURIComponent('наушники')}&praised=sound&brand=Sony`)), ['studio']);
    assert.deepEqual(keys(await search('praised=sound&minReviewScore=0.7&sort=reviews')), ['studio', 'bass']);
    assert.deepEqual(keys(await search('praised=sound&priceMin=5000')), ['gamer']);
    const facets = (await search('praised=sound')).facets.brand.map((b) => [b.value, b.count]).sort();
    assert.deepEqual(facets, [['JBL', 1], ['Razer', 1], ['Sony', 1]], 'the facets count only items that pass the review filters');
  });
});

describe('bounded input', () => {
  const bad: [string, string][] = [
    ['minReviewScore above 1', 'minReviewScore=1.5'],
    ['minReviewScore below -1', 'minReviewScore=-1.01'],
    ['minReviewScore not a number', 'minReviewScore=good'],
    ['minReviewScore empty', 'minReviewScore='],
    ['minReviewScore infinite', 'minReviewScore=Infinity'],
    ['minReviewScore overflowing', 'minReviewScore=-1e400'],
    ['priceMax infinite (the same check)', 'priceMax=Infinity'],
    ['praised upper case', 'praised=Sound'],
    ['praised as a comma list', 'praised=sound,battery'],
    ['praised empty', 'praised='],
    ['praised too long', `praised=${'a'.repeat(41)}`],
    ['praised query syntax', `praised=${encodeURIComponent('sound OR *')}`],
    ['too many praised', Array.from({ length: 11 }, (_, i) => `praised=a${i}`).join('&')],
    ['unknown sort', 'sort=best_reviewed'],
    ['unknown parameter', 'criticized=sound'],
  ];
  refusesEach(bad, () => app);

  it('accepts the limits themselves', async () => {
    for (const qs of ['minReviewScore=-1', 'minReviewScore=1', 'minReviewScore=0.25', Array.from({ length: 10 }, (_, i) => `praised=a${i}`).join('&'), `praised=${'a'.repeat(40)}`, 'praised=build_quality&praised=wi-fi']) {
      const res = await app.inject({ url: `/api/search?${qs}` });
      assert.equal(res.statusCode, 200, `${qs}: ${res.body}`);
    }
  });

  it('documents the parameters with their limits in the OpenAPI schema', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, { get: { parameters: { name: string; schema: Record<string, unknown> }[] } }> };
    const params = new Map(doc.paths['/api/search']!.get.parameters.map((p) => [p.name, p.schema]));
    assert.equal(params.get('minReviewScore')?.minimum, -1);
    assert.equal(params.get('minReviewScore')?.maximum, 1);
    const praised = params.get('praised') as { type: string; maxItems: number; items: { pattern: string } };
    assert.equal(praised.type, 'array');
    assert.equal(praised.maxItems, 10);
    assert.ok(praised.items.pattern);
    assert.match(JSON.stringify(params.get('sort')), /"reviews"/);
  });
});

describe('cache', () => {
  it('keys cached answers by the review parameters (praised in any order is one question)', async () => {
    const cachedApp = await startSearch({ ITEMS_ALIAS: fixture.alias, SEARCH_REDIS_PREFIX: prefix, SEARCH_CACHE_TTL_MS: '30000' });
    try {
      const tag = '&size=9'; // the prefix is this run's own: nothing is cached yet
      assert.equal((await search(`praised=sound${tag}`, cachedApp)).cached, false);
      const battery = await search(`praised=battery${tag}`, cachedApp);
      assert.equal(battery.cached, false, 'another aspect is another question');
      assert.deepEqual(keys(battery).sort(), ['gamer', 'travel']);
      assert.equal((await search(`praised=sound${tag}`, cachedApp)).cached, true);
      assert.equal((await search(`praised=sound&praised=battery${tag}`, cachedApp)).cached, false);
      assert.equal((await search(`praised=battery&praised=sound&praised=battery${tag}`, cachedApp)).cached, true, 'order and repeats do not matter');
      assert.equal((await search(`minReviewScore=0.5${tag}`, cachedApp)).cached, false);
      const lower = await search(`minReviewScore=0.4${tag}`, cachedApp);
      assert.equal(lower.cached, false, 'another threshold is another question');
      assert.ok(keys(lower).includes('travel'));
      assert.equal((await search(`sort=reviews${tag}`, cachedApp)).cached, false, 'the sort is part of the key');
    } finally {
      await cachedApp.close();
    }
  });
});

describe('an index item-etl has not upgraded yet', () => {
  it('sorts by reviews without failing and filters to nothing; hits show no reviews', async () => {
    const alias = `test-search-reviews-old-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const index = `${alias}-v1`;
    const { reviewSummary: _reviewSummary, ...properties } = itemMappings.properties!;
    await fixture.es.indices.create({ index, settings: itemIndexSettings('1s'), mappings: { ...itemMappings, properties }, aliases: { [alias]: {} } });
    const old = await fixture.es.search<Record<string, unknown>>({ index: fixture.alias, size: 2, sort: [{ id: 'asc' }] });
    const operations = old.hits.hits.flatMap((h) => {
      const { reviewSummary: _omit, ...doc } = h._source!;
      return [{ index: { _index: index, _id: h._id } }, doc];
    });
    const res = await fixture.es.bulk({ operations, refresh: true });
    assert.equal(res.errors, false);
    const local = await startSearch({ ITEMS_ALIAS: alias, SEARCH_REDIS_PREFIX: prefix });
    try {
      const sorted = await search('sort=reviews', local);
      assert.equal(sorted.total, 2);
      assert.deepEqual(sorted.items.map((h) => h.reviewSummary), [0, 1].map(() => ({ count: 0, score: 0, praised: [], criticized: [] })));
      assert.equal((await search('praised=sound', local)).total, 0);
      assert.equal((await search('minReviewScore=-1', local)).total, 0);
    } finally {
      await local.close();
      await fixture.es.indices.delete({ index }).catch(() => undefined);
    }
  });
});

// The index mapping and lifecycle on the real Elasticsearch (the integ-test-zip build: core only + Hunspell).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { buildDocument, ratingSummary, type ItemDocument, type ItemInput } from '../src/documents/document.ts';
import { IndexLifecycle } from '../src/index/lifecycle.ts';
import { itemIndexSettings, itemMappings } from '../src/index/mapping.ts';
import { RetryableWriteError, bulkWrite } from '../src/services/bulk.ts';
import { ELASTICSEARCH_URL } from './helpers.ts';

const es = new Client({ node: ELASTICSEARCH_URL });
const alias = `test-items-mapping-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const lifecycle = new IndexLifecycle(es, { alias, refreshInterval: '1s' });
const SHOES = { path: ['running-shoes', 'clothing'], names: ['Беговые кроссовки', 'Running shoes', 'Одежда и обувь', 'Clothing & Shoes'] };

function doc(overrides: Partial<ItemInput> = {}, category = SHOES): ItemDocument {
  const now = new Date().toISOString();
  return buildDocument({
    id: randomUUID(), sellerId: randomUUID(), name: 'Товар', description: '', brand: 'Noname', category: category.path[0]!,
    price: '100.00', currency: 'RUB', stock: 1, attributes: {}, images: [], status: 'active', version: 1, createdAt: now, updatedAt: now, ...overrides,
  }, { sellerName: 'Магазин', rating: ratingSummary(7, 2) }, category);
}

const docs = {
  sneakers: doc({ name: 'Кроссовки беговые мужские', brand: 'NIKE' }),
  tree: doc({ name: 'Зелёная ёлка', brand: 'nike ', price: '2500.50' }, { path: ['decor', 'home'], names: ['Декор', 'Decor', 'Дом', 'Home'] }),
  laptop: doc({ name: 'Laptops stand aluminium', brand: 'Nike', description: 'Подставка для ноутбуков' }, { path: ['laptops', 'electronics'], names: ['Ноутбуки', 'Laptops', 'Электроника', 'Electronics'] }),
  jbl: doc({ name: 'Наушники беспроводные', brand: 'JBL' }, { path: ['headphones', 'electronics'], names: ['Наушники', 'Headphones', 'Электроника', 'Electronics'] }),
};

async function ids(query: Record<string, unknown>): Promise<string[]> {
  const res = await es.search({ index: alias, query, size: 50 });
  return res.hits.hits.map((h) => h._id!).sort();
}

before(async () => {
  await lifecycle.ensureIndex();
  const outcomes = await bulkWrite(es, Object.values(docs).map((d) => ({ action: 'index', id: d.id, version: d.version, document: d })), await lifecycle.targets());
  assert.deepEqual(outcomes.map((o) => o.kind), ['written', 'written', 'written', 'written']);
  await es.indices.refresh({ index: alias });
});
after(async () => {
  await lifecycle.dropAll();
  await es.close();
});

describe('item index mapping', () => {
  it('has the settings that matter: strict mapping, gc_deletes 1h, the analyzers', async () => {
    const index = (await lifecycle.liveIndex())!;
    const settings = await es.indices.getSettings({ index });
    assert.equal(settings[index]?.settings?.index?.gc_deletes, '1h');
    const mapping = await es.indices.getMapping({ index });
    assert.equal(mapping[index]?.mappings.dynamic, 'strict');
  });

  it('finds Russian and English words by another form (Hunspell)', async () => {
    assert.deepEqual(await ids({ match: { name: 'кроссовок' } }), [docs.sneakers.id]);
    assert.deepEqual(await ids({ match: { name: 'кроссовкам' } }), [docs.sneakers.id]);
    assert.deepEqual(await ids({ match: { name: 'laptop' } }), [docs.laptop.id]);
    assert.deepEqual(await ids({ match: { description: 'ноутбук' } }), [docs.laptop.id]);
  });

  it('treats ё and е alike (stored folded, queries with either letter match)', async () => {
    const source = (await es.get<ItemDocument>({ index: alias, id: docs.tree.id }))._source!;
    assert.equal(source.name, 'Зеленая елка');
    assert.deepEqual(await ids({ match: { name: { query: 'зелёная ёлка', operator: 'and' } } }), [docs.tree.id]);
    assert.deepEqual(await ids({ match: { name: { query: 'зеленая елка', operator: 'and' } } }), [docs.tree.id]);
    assert.deepEqual(await ids({ match: { 'name.exact': 'ёлка' } }), []); // no morphology and no folding in the exact subfield…
    assert.deepEqual(await ids({ match: { 'name.exact': 'елка' } }), [docs.tree.id]); // …which is why the ETL folds
  });

  it('facets brands on one canonical spelling; brand.lower matches any case', async () => {
    const res = await es.search({ index: alias, size: 0, aggs: { brands: { terms: { field: 'brand' } } } });
    const buckets = (res.aggregations!.brands as { buckets: { key: string; doc_count: number }[] }).buckets;
    assert.deepEqual(buckets.map((b) => [b.key, b.doc_count]), [['Nike', 3], ['JBL', 1]]);
    assert.equal((await ids({ term: { 'brand.lower': 'NIKE'.toLowerCase() } })).length, 3);
    assert.deepEqual(await ids({ match: { 'brand.text': 'jbl' } }), [docs.jbl.id]);
  });

  it('filters a category together with its descendants through categoryPath; category names are searchable', async () => {
    assert.deepEqual(await ids({ term: { categoryPath: 'electronics' } }), [docs.laptop.id, docs.jbl.id].sort());
    assert.deepEqual(await ids({ term: { categoryPath: 'laptops' } }), [docs.laptop.id]);
    assert.deepEqual(await ids({ term: { category: 'electronics' } }), []);
    assert.deepEqual(await ids({ match: { categoryNames: 'электроники' } }), [docs.laptop.id, docs.jbl.id].sort());
  });

  it('answers prefixes (index_prefixes), completions and price ranges', async () => {
    assert.deepEqual(await ids({ prefix: { 'name.prefix': 'крос' } }), [docs.sneakers.id]);
    assert.deepEqual(await ids({ match_phrase_prefix: { 'name.prefix': 'наушники беспр' } }), [docs.jbl.id]);
    const res = await es.search({ index: alias, suggest: { s: { prefix: 'зелен', completion: { field: 'suggest' } } } });
    const options = (res.suggest!.s![0]!.options as { text: string; _id: string }[]);
    assert.deepEqual(options.map((o) => [o.text, o._id]), [['Зеленая елка', docs.tree.id]]);
    assert.deepEqual(await ids({ range: { price: { gte: 2500.5, lte: 2500.5 } } }), [docs.tree.id]);
    assert.equal((await es.get<ItemDocument>({ index: alias, id: docs.tree.id }))._source!.rating.average, 3.5);
  });

  it('refuses a document the strict mapping does not know, as a per-item failure', async () => {
    const bad = { ...doc(), surprise: 1 } as unknown as ItemDocument;
    const [outcome] = await bulkWrite(es, [{ action: 'index', id: bad.id, version: 1, document: bad }], await lifecycle.targets());
    assert.equal(outcome!.kind, 'failed');
    assert.match((outcome as { reason: string }).reason, /strict_dynamic_mapping_exception/);
  });

  it('never re-creates a deleted target: the write is retried with fresh targets instead', async () => {
    const gone = await lifecycle.createIndex();
    await lifecycle.deleteIndices([gone]);
    const d = doc();
    for (const op of [{ action: 'index' as const, id: d.id, version: 1, document: d }, { action: 'delete' as const, id: d.id, version: 2 }]) {
      await assert.rejects(bulkWrite(es, [op], [gone]), (err: unknown) => err instanceof RetryableWriteError && err.refreshTargets);
    }
    assert.deepEqual(await lifecycle.versionedIndices({ stray: true }), [await lifecycle.liveIndex()]);
  });

  it('ensureIndex gives an index of an older mapping the new fields, so current documents can be written to it', async () => {
    const older = `${alias}-older`;
    const upgraded = new IndexLifecycle(es, { alias: older, refreshInterval: '1s' });
    try {
      const { models: _models, ...properties } = itemMappings.properties!;
      const index = `${older}-v1`;
      await es.indices.create({ index, settings: itemIndexSettings('1s'), mappings: { ...itemMappings, properties }, aliases: { [older]: {}, [`${older}-targets`]: {}, [`${index}-w`]: {} } });
      const d = doc({ name: 'Наушники Sony WH-1000XM5' });
      const [refused] = await bulkWrite(es, [{ action: 'index', id: d.id, version: 1, document: d }], [index]);
      assert.equal(refused!.kind, 'failed', 'the old mapping refuses the new field');
      assert.equal(await upgraded.ensureIndex(), index, 'the same index, not a new one');
      const [written] = await bulkWrite(es, [{ action: 'index', id: d.id, version: 1, document: d }], await upgraded.targets());
      assert.equal(written!.kind, 'written');
      await es.indices.refresh({ index });
      const res = await es.search({ index: older, query: { term: { models: 'wh1000xm5' } } });
      assert.deepEqual(res.hits.hits.map((h) => h._id), [d.id]);
      assert.deepEqual(await upgraded.upgradeMappings([index]), {}, 'nothing left to add');
    } finally {
      await upgraded.dropAll();
    }
  });

  it('ensureIndex gives an index made before review summaries the reviewSummary field (sortable, filterable)', async () => {
    const older = `${alias}-noreviews`;
    const upgraded = new IndexLifecycle(es, { alias: older, refreshInterval: '1s' });
    try {
      const { reviewSummary: _reviewSummary, ...properties } = itemMappings.properties!;
      const index = `${older}-v1`;
      await es.indices.create({ index, settings: itemIndexSettings('1s'), mappings: { ...itemMappings, properties }, aliases: { [older]: {}, [`${older}-targets`]: {}, [`${index}-w`]: {} } });
      const before = doc({ name: 'Наушники старые' });
      const { reviewSummary: _omit, ...oldShape } = before;
      assert.equal((await bulkWrite(es, [{ action: 'index', id: before.id, version: 1, document: oldShape as ItemDocument }], [index]))[0]!.kind, 'written');
      const summary = {
        count: 3, sentiment: { positive: 3, neutral: 0, negative: 0 }, score: 0.7,
        aspects: [{ aspect: 'sound', mentions: 3, positive: 3, negative: 0 }], praised: ['sound'], criticized: [],
      };
      const d = buildDocument({
        id: randomUUID(), sellerId: randomUUID(), name: 'Наушники новые', description: '', brand: 'Sony', category: 'headphones', price: '100.00', currency: 'RUB',
        stock: 1, attributes: {}, images: [], status: 'active', version: 1, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
      }, { sellerName: null, rating: ratingSummary(0, 0), reviewSummary: summary }, { path: ['headphones'], names: [] });
      const [refused] = await bulkWrite(es, [{ action: 'index', id: d.id, version: 1, document: d }], [index]);
      assert.equal(refused!.kind, 'failed', 'the old mapping refuses the new field');
      assert.match((refused as { reason: string }).reason, /strict_dynamic_mapping_exception/);

      assert.equal(await upgraded.ensureIndex(), index, 'the same index, upgraded in place');
      const mapping = await es.indices.getMapping({ index });
      assert.deepEqual(mapping[index]!.mappings.properties!.reviewSummary, itemMappings.properties!.reviewSummary);
      const [written] = await bulkWrite(es, [{ action: 'index', id: d.id, version: 1, document: d }], await upgraded.targets());
      assert.equal(written!.kind, 'written');
      await es.indices.refresh({ index });
      const praised = await es.search({ index: older, query: { term: { 'reviewSummary.praised': 'sound' } } });
      assert.deepEqual(praised.hits.hits.map((h) => h._id), [d.id]);
      // The document written before the upgrade has no summary yet (until rewritten or rebuilt): it sorts last.
      const sorted = await es.search({ index: older, sort: [{ 'reviewSummary.score': { order: 'desc', missing: '_last' } }, { id: 'asc' }] });
      assert.deepEqual(sorted.hits.hits.map((h) => h._id), [d.id, before.id]);
      assert.deepEqual(await upgraded.upgradeMappings([index]), {}, 'nothing left to add');
    } finally {
      await upgraded.dropAll();
    }
  });

  it('upgradeMappings adds the sub-fields an object field of an older index lacks (reviewSummary.positiveShare)', async () => {
    const older = `${alias}-partial`;
    const upgraded = new IndexLifecycle(es, { alias: older, refreshInterval: '1s' });
    try {
      const wanted = (itemMappings.properties!.reviewSummary as { properties: Record<string, unknown> }).properties;
      const { positiveShare: _share, criticized: _criticized, ...partial } = wanted;
      const index = `${older}-v1`;
      await es.indices.create({
        index, settings: itemIndexSettings('1s'),
        mappings: { ...itemMappings, properties: { ...itemMappings.properties, reviewSummary: { properties: partial } } as typeof itemMappings.properties },
        aliases: { [older]: {}, [`${older}-targets`]: {}, [`${index}-w`]: {} },
      });
      assert.deepEqual(await upgraded.upgradeMappings([index]), { [index]: ['reviewSummary.positiveShare', 'reviewSummary.criticized'] });
      const mapping = await es.indices.getMapping({ index });
      assert.deepEqual(mapping[index]!.mappings.properties!.reviewSummary, itemMappings.properties!.reviewSummary);
      const d = doc();
      assert.equal((await bulkWrite(es, [{ action: 'index', id: d.id, version: 1, document: d }], [index]))[0]!.kind, 'written');
      assert.deepEqual(await upgraded.upgradeMappings([index]), {}, 'nothing left to add');
    } finally {
      await upgraded.dropAll();
    }
  });

  it('ensureIndex is race-safe: concurrent starts share one index', async () => {
    const racing = `${alias}-race`;
    const lifecycles = Array.from({ length: 6 }, () => new IndexLifecycle(es, { alias: racing, refreshInterval: '1s' }));
    try {
      const indices = await Promise.all(lifecycles.map((l) => l.ensureIndex()));
      assert.equal(new Set(indices).size, 1);
      assert.deepEqual(await lifecycles[0]!.versionedIndices(), [indices[0]]);
      assert.deepEqual(await lifecycles[0]!.aliasIndices(`${racing}-targets`), [indices[0]]);
    } finally {
      await lifecycles[0]!.dropAll();
    }
  });
});

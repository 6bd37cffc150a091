import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReviewSummary } from '@shop/contracts';
import { DocumentError, buildDocument, canonicalBrand, normalizeText, parsePrice, ratingSummary, reviewDigest, type ItemInput } from './document.ts';

const item = (overrides: Partial<ItemInput> = {}): ItemInput => ({
  id: '7d5e9f0a-1b2c-4d3e-8f90-a1b2c3d4e5f6', sellerId: '0f1e2d3c-4b5a-4969-8877-665544332211', name: 'Ёлка искусственная',
  description: 'Зелёная\n\tёлка', brand: 'nike ', category: 'home', price: '1999.90', currency: 'RUB', stock: 0,
  attributes: { ' Высота ': '180 см', вес: 3 }, images: [], status: 'active', version: 7,
  createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-02T00:00:00+03:00', ...overrides,
});

describe('normalizeText', () => {
  it('folds ё/Ё to е/Е, collapses whitespace and control characters, trims', () => {
    assert.equal(normalizeText('  Ёжик\t\nв   тумане\u0000 '), 'Ежик в тумане');
    assert.equal(normalizeText('е\u0308лка'), 'елка'); // decomposed ё
  });
});

describe('canonicalBrand', () => {
  const cases: [string, string][] = [
    ['NIKE', 'Nike'], ['nike ', 'Nike'], ['Nike', 'Nike'], ['adidas originals', 'Adidas Originals'],
    ['HP', 'HP'], ['hp', 'HP'], ['lg', 'LG'], ['3m', '3M'], ['JBL', 'JBL'], ['BMW', 'BMW'],
    ['iRobot', 'iRobot'], ['DeWalt', 'DeWalt'], ['coca-cola', 'Coca-Cola'], ['САМСУНГ', 'Самсунг'], ['  Tefal   ', 'Tefal'],
  ];
  for (const [raw, expected] of cases) it(`${JSON.stringify(raw)} → ${expected}`, () => assert.equal(canonicalBrand(raw), expected));
});

describe('buildDocument', () => {
  it('builds the normalized, enriched document', () => {
    const doc = buildDocument(item({ images: [{ key: 'b', position: 2 }, { key: 'a', position: 0 }] }), { sellerName: ' Лучший  магазин ', rating: ratingSummary(9, 2) },
      { path: ['trees', 'home'], names: ['Ёлки', 'Trees', 'Дом', 'Home'] }, new Date('2025-02-01T00:00:00Z'));
    assert.equal(doc.name, 'Елка искусственная');
    assert.equal(doc.description, 'Зеленая елка');
    assert.equal(doc.brand, 'Nike');
    assert.equal(doc.sellerName, 'Лучший магазин');
    assert.deepEqual(doc.rating, { average: 4.5, count: 2 });
    assert.deepEqual(doc.categoryPath, ['trees', 'home']);
    assert.deepEqual(doc.categoryNames, ['Елки', 'Trees', 'Дом', 'Home']);
    assert.equal(doc.price, 1999.9);
    assert.equal(doc.inStock, false);
    assert.equal(doc.article, null, 'an event from before article numbers');
    assert.equal(buildDocument(item({ article: 2389212 }), { sellerName: null, rating: ratingSummary(0, 0) }, { path: [], names: [] }).article, 2389212);
    assert.equal(doc.image, 'a');
    assert.deepEqual(doc.attributes, { 'Высота': '180 см', вес: 3 });
    assert.equal(doc.attributesText, 'Высота 180 см. вес 3');
    assert.equal(doc.updatedAt, '2025-01-01T21:00:00.000Z');
    assert.deepEqual(doc.suggest, { input: ['Елка искусственная', 'Nike', 'Елки', 'Trees'], weight: 3 });
  });

  it('indexes the name\'s model codes without separators', () => {
    const doc = buildDocument(item({ name: 'Наушники Sony WH-1000XM5' }), { sellerName: null, rating: ratingSummary(0, 0) }, { path: ['headphones'], names: [] });
    assert.ok(doc.models.includes('wh1000xm5'), JSON.stringify(doc.models));
    const attr = buildDocument(item({ name: 'Наушники Sony', attributes: { model: 'WF-1000XM4', weight_g: 7 } }), { sellerName: null, rating: ratingSummary(0, 0) }, { path: ['headphones'], names: [] });
    assert.ok(attr.models.includes('wf1000xm4'), `text attributes too: ${JSON.stringify(attr.models)}`);
    assert.deepEqual(buildDocument(item({ attributes: {} }), { sellerName: null, rating: ratingSummary(0, 0) }, { path: ['trees'], names: [] }).models, [], 'no digits, no codes');
  });

  it('refuses a price that is not above zero', () => {
    for (const price of ['0.00', '-1.00', 'abc']) {
      assert.throws(() => parsePrice(price), (err: unknown) => err instanceof DocumentError && err.reason === 'invalid-price');
    }
  });

  it('rounds the rating to one decimal and has {0, 0} without ratings', () => {
    assert.deepEqual(ratingSummary(14, 3), { average: 4.7, count: 3 });
    assert.deepEqual(ratingSummary(0, 0), { average: 0, count: 0 });
  });
});

describe('reviewSummary', () => {
  const summary: ReviewSummary = {
    count: 8, sentiment: { positive: 5, neutral: 2, negative: 1 }, score: 0.4567891,
    aspects: [{ aspect: 'sound', mentions: 6, positive: 5, negative: 1 }, { aspect: 'battery', mentions: 3, positive: 0, negative: 3 }],
    praised: ['sound', 'comfort'], criticized: ['battery'],
  };
  const categories = { path: ['headphones'], names: [] };

  it('puts the compact summary into the document: counts, score, positive share, praised and criticized, no aspect list', () => {
    const doc = buildDocument(item(), { sellerName: null, rating: ratingSummary(0, 0), reviewSummary: summary }, categories);
    assert.deepEqual(doc.reviewSummary, {
      count: 8, positive: 5, neutral: 2, negative: 1, score: 0.4568, positiveShare: 0.625, praised: ['sound', 'comfort'], criticized: ['battery'],
    });
    assert.ok(!('aspects' in doc.reviewSummary));
  });

  it('has count 0, score 0 and empty lists without a summary or without reviews', () => {
    const empty = { count: 0, positive: 0, neutral: 0, negative: 0, score: 0, positiveShare: 0, praised: [], criticized: [] };
    assert.deepEqual(buildDocument(item(), { sellerName: null, rating: ratingSummary(0, 0) }, categories).reviewSummary, empty, 'no enrichment value');
    assert.deepEqual(reviewDigest(null), empty);
    assert.deepEqual(reviewDigest({ count: 0, sentiment: { positive: 0, neutral: 0, negative: 0 }, score: 0, aspects: [], praised: [], criticized: [] }), empty);
    assert.notEqual(reviewDigest(null).praised, reviewDigest(null).praised, 'a fresh object each time');
  });

  it('reads a stored value of an unexpected shape tolerantly: never refuses the item', () => {
    for (const odd of ['text', 42, [], { count: 'many' }]) assert.equal(reviewDigest(odd).count, 0, JSON.stringify(odd));
    assert.deepEqual(reviewDigest({
      count: 2, sentiment: { positive: 2, neutral: 0, negative: 0 }, score: 7,
      praised: ['sound', 'sound', 'Not An Aspect', 3, ...Array.from({ length: 12 }, (_, i) => `a${i}`)], criticized: 'battery',
    }), {
      count: 2, positive: 2, neutral: 0, negative: 0, score: 1, positiveShare: 1, praised: ['sound', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'], criticized: [],
    });
    assert.equal(reviewDigest({ sentiment: { positive: 1, neutral: 0, negative: 3 }, score: -0.5 }).count, 4, 'count from the sentiment when absent');
  });
});

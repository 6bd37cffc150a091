// Search behaviour against the real Elasticsearch and Redis, on an index of our own: morphology,
// typo tolerance and its limits, keyboard layout, ё, synonyms (and their reload), the fallback
// chain, the stock/rating nudge, highlighting, paging, bounded input, the cache lifetime, suggest.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { App } from '@shop/kit';
import { syncCategories } from '../../item-etl/src/index/categories.ts';
import { CatalogRepository } from '../../item-etl/src/repositories/catalog.ts';
import { DATABASE_URL, type FixtureItem, type IndexFixture, indexItems, refusesEach, sleep, startSearch, waitFor } from './helpers.ts';

const item = (key: string, name: string, brand: string, category: string, extra: Partial<FixtureItem> = {}): FixtureItem => ({
  key, id: randomUUID(), name, description: '', brand, category, price: '1990.00', stock: 5, ...extra,
});

const ITEMS = [
  item('pegasus', 'Кроссовки Nike Air Zoom Pegasus 40', 'Nike', 'running-shoes', { description: 'Лёгкие беговые кроссовки', stock: 0 }),
  item('laces', 'Шнурки плоские', 'Nike', 'running-shoes', { description: 'Подойдут к Pegasus и другим кроссовкам', stock: 100, rating: [500, 100] }),
  item('kids', 'Кроссовок детский Adidas', 'Adidas', 'sneakers'),
  item('run-shoes', 'Asics Gel Nimbus running shoes', 'Asics', 'running-shoes', { description: 'Cushioned running shoe for long runs' }),
  item('iphone15', 'Apple iPhone 15 128 ГБ', 'Apple', 'smartphones', { price: '79990.00' }),
  item('iphone16', 'Apple iPhone 16 128 ГБ', 'Apple', 'smartphones', { price: '89990.00' }),
  item('aurora', 'Лампа настольная Aurora', 'Aurora', 'lighting'),
  item('avrora', 'Лампа настольная Avrora', 'Avrora', 'lighting'),
  item('black', 'Чёрный рюкзак', 'Xiaomi', 'camping'),
  item('tree', 'Ёлка искусственная 180 см', 'Morozko', 'home-textiles'),
  item('lenovo', 'Ноутбук Lenovo IdeaPad 5', 'Lenovo', 'laptops', { price: '65990.00' }),
  item('ram', 'Оперативная память RAM 16 ГБ', 'Kingston', 'laptops'),
  item('cam', 'Камера CAM 4K', 'Sony', 'cameras'),
  item('hoodie', 'Толстовка с капюшоном', 'Puma', 't-shirts'),
  item('xss', '<b>Кружка</b> <script>alert(1)</script> керамическая', 'Lefard', 'kitchen'),
  item('tie-a', 'Бутылка для воды Sport', 'Contigo', 'fitness', { stock: 0 }),
  item('tie-b', 'Бутылка для воды Sport', 'Contigo', 'fitness', { stock: 3, rating: [45, 10] }),
  item('sony-wh', 'Беспроводные наушники Sony WH-1000XM5', 'Sony', 'headphones'),
  item('rtx', 'Видеокарта Palit GeForce RTX4070 Dual', 'Palit', 'laptops'),
  item('kettle', 'Чайник электрический Philips HD9318', 'Philips', 'kitchen', { article: 48151623 }),
  item('kettle-26', 'Чайник 48151623 сувенирный', 'Lefard', 'kitchen'),
  item('pan', 'Сковорода чугунная 26 см', 'Биол', 'kitchen'),
  item('pillow', 'Подушка ортопедическая', 'Askona', 'home-textiles'),
  ...Array.from({ length: 25 }, (_, n) => item(`mug-${n}`, `Кружка походная ${n}`, 'Tramp', 'camping', { price: `${100 + n}.00` })),
];
const ids = Object.fromEntries(ITEMS.map((i) => [i.key, i.id]));
const keyOf = new Map(ITEMS.map((i) => [i.id, i.key]));

let fixture: IndexFixture;
let app: App;
let synonymsFile: string;
let categoriesIndex: string;
const prefix = `test-search-${randomBytes(4).toString('hex')}`;

interface Body { total: number; items: { id: string; name: string; highlight: Record<string, string[]> }[]; didYouMean?: string; correction?: { step: string; query: string; dropped?: string[] }; cached: boolean; facets: unknown }

async function get(path: string, target: App = app): Promise<{ status: number; body: Body & Record<string, unknown> }> {
  const res = await target.inject({ url: path });
  return { status: res.statusCode, body: res.json() };
}
const search = async (q: string, extra = '', target: App = app) => {
  const res = await get(`/api/search?q=${encodeURIComponent(q)}${extra}`, target);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
};
const keys = (b: Body) => b.items.map((i) => keyOf.get(i.id));

before(async () => {
  fixture = await indexItems('behaviour', ITEMS);
  const dir = mkdtempSync(join(tmpdir(), 'search-synonyms-'));
  synonymsFile = join(dir, 'synonyms.txt');
  writeFileSync(synonymsFile, 'ноутбук, laptop, notebook\n');
  categoriesIndex = `${fixture.alias}-categories`;
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await syncCategories(fixture.es, categoriesIndex, await new CatalogRepository(db).categories());
  await db.end();
  app = await startSearch({
    ITEMS_ALIAS: fixture.alias, CATEGORIES_INDEX: categoriesIndex, SYNONYMS_FILE: synonymsFile, SYNONYMS_POLL_MS: '100', SEARCH_REDIS_PREFIX: prefix,
  });
});

after(async () => {
  await app?.close();
  await fixture?.es.indices.delete({ index: categoriesIndex }).catch(() => undefined);
  await fixture?.close();
});

describe('matching', () => {
  it('Russian and English morphology through Hunspell', async () => {
    assert.ok(keys(await search('кроссовок')).includes('pegasus'));
    assert.ok(keys(await search('кроссовки')).includes('kids'));
    // The Asics name says "running shoes"; the other two are in the "Running shoes" category.
    assert.deepEqual(keys(await search('running shoe'))[0], 'run-shoes');
    assert.equal((await search('running shoe')).correction, undefined, 'answered as typed');
  });

  it('ё and е are the same letter, both ways', async () => {
    assert.deepEqual(keys(await search('черный рюкзак')), ['black']);
    assert.deepEqual(keys(await search('ёлка')), ['tree']);
    assert.deepEqual(keys(await search('елка')), ['tree']);
  });

  it('every word must match; the name outranks a description that mentions the word', async () => {
    const res = await search('pegasus');
    assert.deepEqual(keys(res), ['pegasus', 'laces'], 'the out-of-stock, unrated exact product stays above the in-stock, 5-star accessory');
  });

  it('stock and rating only nudge: of two equal matches the in-stock, rated one comes first', async () => {
    assert.deepEqual(keys(await search('бутылка sport')), ['tie-b', 'tie-a']);
  });

  it('no typo tolerance when the query matches as typed (no flooding)', async () => {
    const res = await search('aurora');
    assert.deepEqual(keys(res), ['aurora']);
    assert.equal(res.correction, undefined);
  });

  it('typos: one in a word of 4+ letters, answered with didYouMean', async () => {
    const res = await search('pegasos');
    assert.deepEqual(keys(res), ['pegasus'], 'typos are forgiven in names, brands and categories, not in descriptions');
    assert.equal(res.correction?.step, 'typo');
    assert.equal(res.didYouMean, 'pegasus');
    const two = await search('кросовкии'); // 9 letters: two typos allowed
    assert.ok(keys(two).includes('pegasus'), JSON.stringify(two.items));
  });

  it('an article number finds its item first, and the number still matches text', async () => {
    const res = await search('48151623');
    assert.deepEqual(keys(res).slice(0, 2), ['kettle', 'kettle-26']);
    assert.equal((res.items[0] as unknown as { article: number }).article, 48151623);
    assert.equal((res.items[1] as unknown as { article: number | null }).article, null);
    assert.deepEqual(keys(await search('48151624')), [], 'another number finds nothing (no typo tolerance on numbers)');
  });

  it('no typos in short words or numbers', async () => {
    assert.deepEqual(keys(await search('ram')), ['ram'], '"ram" must not find "cam"');
    assert.deepEqual(keys(await search('iphone 15')), ['iphone15']);
    const res = await search('iphone 17');
    assert.notEqual(res.correction?.step, 'typo', '"17" must not be corrected to 15 or 16');
    assert.equal(res.correction?.step, 'relaxed');
    assert.deepEqual(res.correction?.dropped, ['17']);
  });

  it('wrong keyboard layout, both directions', async () => {
    const ru = await search('rhjccjdrb');
    assert.equal(ru.didYouMean, 'кроссовки');
    assert.equal(ru.correction?.step, 'layout');
    assert.ok(keys(ru).includes('pegasus'));
    const en = await search('тшлу');
    assert.equal(en.didYouMean, 'nike');
    assert.ok(keys(en).includes('pegasus'));
  });

  it('relaxed: a word nothing contains is dropped and named', async () => {
    const res = await search('nike qwzxvk');
    assert.equal(res.correction?.step, 'relaxed');
    assert.deepEqual(res.correction?.dropped, ['qwzxvk']);
    assert.ok(keys(res).includes('pegasus'));
  });

  it('nonsense finds nothing and suggests nothing', async () => {
    for (const q of ['фывапролдж', 'xyzzy qwzxv', '***', '"']) {
      const res = await search(q);
      assert.equal(res.total, 0, q);
      assert.equal(res.didYouMean, undefined, q);
    }
  });
});

describe('words typed otherwise: model numbers, mixed layouts, brands in the other alphabet', () => {
  it('model numbers match without their separators, with others, and joined either way', async () => {
    for (const q of ['wh1000xm5', 'WH-1000XM5', 'wh 1000 xm5', 'наушники wh1000xm5']) {
      const res = await search(q);
      assert.deepEqual(keys(res), ['sony-wh'], q);
      assert.equal(res.correction, undefined, `${q}: the same model, not a correction`);
    }
    for (const q of ['rtx 4070', 'RTX-4070', 'rtx4070']) assert.deepEqual(keys(await search(q)), ['rtx'], q);
    assert.deepEqual(keys(await search('iphone15')), ['iphone15'], 'not the iPhone 16');
    assert.ok(!keys(await search('wf1000xm5')).includes('sony-wh'), 'another model is not this one');
    assert.ok(!keys(await search('wh1000')).includes('sony-wh'), 'a code is matched whole, not by its beginning');
  });

  it('mixed layout: only the words the index does not hold are re-typed, and the answer says so', async () => {
    const ru = await search('rhjccjdrb nike');
    assert.equal(ru.didYouMean, 'кроссовки nike');
    assert.deepEqual(ru.correction, { step: 'layout', query: 'кроссовки nike' });
    assert.ok(keys(ru).includes('pegasus') && !keys(ru).includes('kids'), JSON.stringify(keys(ru)));
    const en = await search('кроссовки тшлу');
    assert.equal(en.didYouMean, 'кроссовки nike');
    assert.ok(keys(en).includes('pegasus') && !keys(en).includes('kids'));
    assert.equal((await search('rhjccjdrb тшлу')).didYouMean, 'кроссовки nike', 'both words re-typed, each its own way');
    const synonym = await search('тщеуищщл lenovo');
    assert.equal(synonym.didYouMean, 'notebook lenovo', 'a word the index knows only through a synonym is known');
    assert.deepEqual(keys(synonym), ['lenovo']);
    const size = await search('rhjccjdrb nike 45');
    assert.deepEqual(size.correction, { step: 'relaxed', query: 'кроссовки nike', dropped: ['45'] }, 'what is dropped is dropped from the re-typed query');
    assert.ok(keys(size).includes('pegasus'));
  });

  it('a correctly typed query is not converted', async () => {
    for (const q of ['кроссовки nike', 'nike', 'lenovo', 'чайник philips']) {
      const res = await search(q);
      assert.ok(res.total > 0, q);
      assert.equal(res.correction, undefined, q);
      assert.equal(res.didYouMean, undefined, q);
    }
  });

  it('a brand typed in the other alphabet becomes the index\'s own brand, and the answer says so', async () => {
    const philips = await search('чайник филипс');
    assert.deepEqual(philips.correction, { step: 'transliteration', query: 'чайник philips' });
    assert.equal(philips.didYouMean, 'чайник philips');
    assert.deepEqual(keys(philips), ['kettle']);
    assert.deepEqual(keys(await search('филипс')), ['kettle']);
    const razor = await search('филипс бритва');
    assert.deepEqual(razor.correction, { step: 'relaxed', query: 'philips', dropped: ['бритва'] }, 'the brand stays spelled when a word is dropped');
    assert.deepEqual(keys(razor), ['kettle']);
    const biol = await search('сковорода biol');
    assert.equal(biol.didYouMean, 'сковорода биол', 'Latin letters for a Russian brand');
    assert.deepEqual(keys(biol), ['pan']);
  });

  it('never invents a brand: one the index does not hold is not a correction', async () => {
    for (const q of ['самсунг', 'бош']) {
      const res = await search(q);
      assert.equal(res.total, 0, `${q}: ${JSON.stringify(res.correction)}`);
      assert.equal(res.didYouMean, undefined, q);
    }
    const both = await search('xfqybr abkbgc');
    assert.equal(both.didYouMean, 'чайник philips', 'a brand spelled in Russian on the wrong layout, next to a word on the wrong layout');
    const gibberish = await search('qwerty');
    assert.equal(gibberish.total, 0, `"qwerty" re-typed is "йцукен", which sounds like Askona: ${JSON.stringify(gibberish.correction)}`);
    const kettle = await search('чайник бош');
    assert.deepEqual(kettle.correction, { step: 'relaxed', query: 'чайник', dropped: ['бош'] }, 'the unknown brand is dropped and named, not replaced');
    assert.equal(kettle.didYouMean, undefined);
  });
});

describe('synonyms', () => {
  it('a synonym from the file finds the other language', async () => {
    const res = await search('laptop');
    assert.equal(keys(res)[0], 'lenovo');
    assert.equal(res.correction, undefined, 'a synonym is not a correction');
  });

  it('an edited file takes effect without a restart; a broken edit keeps the old list', async () => {
    assert.equal((await search('худи')).total, 0);
    writeFileSync(synonymsFile, 'ноутбук, laptop, notebook\nхуди, толстовка\n');
    utimesSync(synonymsFile, new Date(), new Date(Date.now() + 2_000));
    await waitFor('the new synonym', async () => (await search('худи')).total === 1, 5_000);
    writeFileSync(synonymsFile, 'this line is not a group\n');
    utimesSync(synonymsFile, new Date(), new Date(Date.now() + 4_000));
    await sleep(500);
    assert.equal((await search('худи')).total, 1, 'the previous list stays in force');
    writeFileSync(synonymsFile, 'ноутбук, laptop, notebook\n');
  });
});

describe('results', () => {
  it('highlights matched words in the name and escapes the item\'s own markup', async () => {
    const res = await search('кружка керамическая');
    const name = res.items[0]!.highlight.name![0]!;
    assert.match(name, /<em>Кружка<\/em>/);
    assert.ok(!name.includes('<script>') && name.includes('&lt;script&gt;'), name);
  });

  it('the same query and page give the same order; pages continue each other', async () => {
    const all = keys(await search('кружка походная', '&size=25'));
    assert.equal(all.length, 25);
    assert.deepEqual(keys(await search('кружка походная', '&size=25')), all);
    const p1 = keys(await search('кружка походная', '&size=10&page=1'));
    const p2 = keys(await search('кружка походная', '&size=10&page=2'));
    assert.deepEqual([...p1, ...p2], all.slice(0, 20));
    const cheap = await search('кружка походная', '&sort=price_asc&size=3');
    assert.deepEqual(keys(cheap), ['mug-0', 'mug-1', 'mug-2']);
  });
});

describe('bounded input', () => {
  const bad = [
    ['q too long', `q=${'a'.repeat(201)}`],
    ['too many words', `q=${encodeURIComponent(Array.from({ length: 13 }, (_, i) => `w${i}`).join(' '))}`],
    ['page size', 'size=101'],
    ['window', 'page=101&size=100'],
    ['page 0', 'page=0'],
    ['too many brands', Array.from({ length: 21 }, (_, i) => `brand=b${i}`).join('&')],
    ['unknown parameter', 'q=nike&from=0'],
    ['bad sort', 'sort=_score'],
    ['price range', 'priceMin=10&priceMax=5'],
    ['negative price', 'priceMin=-1'],
    ['seller not a uuid', 'seller=1%20OR%201'],
    ['category not a slug', 'category=*'],
    ['inStock not a boolean', 'inStock=maybe'],
  ];
  refusesEach(bad, () => app);

  it('query-string syntax is text, never Elasticsearch syntax', async () => {
    const attacks = ['name:*', '* OR 1=1', '{"match_all":{}}', 'nike AND NOT adidas', '/.*/', 'brand:Nike^100', '\\', 'pegasus~10', '_id:1', 'a'.repeat(200)];
    for (const q of attacks) {
      const res = await app.inject({ url: `/api/search?q=${encodeURIComponent(q)}` });
      assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
      assert.ok(res.json().total <= ITEMS.length);
    }
    assert.equal((await search('name:*')).total, 0, 'a field wildcard matches nothing');
    assert.deepEqual(keys(await search('pegasus~10')).sort(), ['laces', 'pegasus'].sort(), '"~10" is just a number word that relaxes away');
  });
});

describe('cache', () => {
  it('serves a cached answer for at most its lifetime after the index changed', async () => {
    const cachedApp = await startSearch({ ITEMS_ALIAS: fixture.alias, CATEGORIES_INDEX: categoriesIndex, SYNONYMS_FILE: synonymsFile, SEARCH_REDIS_PREFIX: prefix, SEARCH_CACHE_TTL_MS: '1500' });
    try {
      const q = 'ноутбук lenovo';
      assert.equal((await search(q, '', cachedApp)).cached, false);
      assert.equal((await search(q, '', cachedApp)).cached, true);
      await fixture.es.update({ index: fixture.alias, id: ids.lenovo!, doc: { name: 'Ноутбук Lenovo IdeaPad 5 Pro' }, refresh: true });
      const changedAt = Date.now();
      const seen = await waitFor('the changed name', async () => {
        const res = await search(q, '', cachedApp);
        return res.items[0]?.name.endsWith('Pro') ? Date.now() - changedAt : 0;
      }, 5_000);
      assert.ok(seen <= 1500 + 300, `the stale answer was served ${seen} ms after the change (lifetime 1500 ms)`);
    } finally {
      await cachedApp.close();
    }
  });

  it('Redis down: answers come from Elasticsearch', async () => {
    const noRedis = await startSearch({ ITEMS_ALIAS: fixture.alias, SYNONYMS_FILE: synonymsFile, REDIS_URL: 'redis://127.0.0.1:1', SEARCH_CACHE_TTL_MS: '1000' });
    try {
      assert.ok(keys(await search('pegasus', '', noRedis)).includes('pegasus'));
      const s = await get('/api/search/suggest?q=peg', noRedis);
      assert.equal(s.status, 200);
    } finally {
      await noRedis.close();
    }
  });
});

describe('suggest', () => {
  const suggest = async (q: string) => {
    const res = await get(`/api/search/suggest?q=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.suggestions as unknown as { text: string; kind: string; id?: string }[];
  };

  it('from two letters: items and categories, in either language and layout', async () => {
    assert.deepEqual(await suggest('к'), []);
    const ru = await suggest('кр');
    assert.ok(ru.some((s) => s.kind === 'item'), JSON.stringify(ru));
    assert.ok((await suggest('кросс')).some((s) => s.kind === 'item' && s.id === ids.pegasus));
    assert.ok(ru.some((s) => s.kind === 'category' && s.id === 'running-shoes' && s.text === 'Беговые кроссовки'), JSON.stringify(ru));
    const en = await suggest('lap');
    assert.ok(en.some((s) => s.kind === 'category' && s.id === 'laptops' && s.text === 'Laptops'), JSON.stringify(en));
    const layout = await suggest('yjen');
    assert.ok(layout.some((s) => s.kind === 'item' && s.id === ids.lenovo), JSON.stringify(layout));
    const words = await suggest('nike air z');
    assert.deepEqual(words.filter((s) => s.kind === 'item').map((s) => s.id), [ids.pegasus]);
    const typo = await suggest('pegas');
    assert.ok(typo.some((s) => s.id === ids.pegasus));
  });

  it('popular queries once searched more than once', async () => {
    await search('Камера 4K');
    assert.ok(!(await suggest('камер')).some((s) => s.kind === 'query'), 'one search is not popular');
    await search('камера  4k');
    await sleep(100);
    assert.deepEqual((await suggest('камер')).filter((s) => s.kind === 'query').map((s) => s.text), ['камера 4k']);
    assert.deepEqual((await suggest('rfvth')).filter((s) => s.kind === 'query').map((s) => s.text), ['камера 4k'], 'in the other layout too');
  });

  it('bounded input', async () => {
    assert.equal((await app.inject({ url: `/api/search/suggest?q=${'a'.repeat(101)}` })).statusCode, 400);
    assert.equal((await app.inject({ url: '/api/search/suggest?q=ab&x=1' })).statusCode, 400);
    assert.equal((await app.inject({ url: '/api/search/suggest' })).statusCode, 400);
  });
});

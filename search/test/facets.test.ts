// Facet counts and filters checked against counts computed from PostgreSQL: one seller's items are
// created through the running item-crud, flow through Kafka and the ETL into the live index, and
// every facet (with and without a selection in the same facet) must equal the SQL answer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { App } from '@shop/kit';
import { PRICE_RANGES } from '../src/query.ts';
import { DATABASE_URL, ITEM_CRUD_URL, newSeller, startSearch, waitFor } from './helpers.ts';

const CATEGORIES = ['running-shoes', 'sneakers', 'laptops', 'headphones', 'kitchen'];
const BRANDS = ['Nike', 'Adidas', 'Asics', 'Sony', 'Tefal'];
const PRICES = ['499.00', '999.99', '1000.00', '4999.90', '5000.00', '19999.00', '20000.00', '75000.00', '100000.00', '250000.50'];
const COUNT = 45;

let app: App;
let db: pg.Pool;
let seller: { id: string; token: string };

interface Facets { category: { value: string; count: number }[]; brand: { value: string; count: number }[]; price: { from: number | null; to: number | null; count: number }[] }
interface Filters { category?: string; brand?: string[]; priceMin?: number; priceMax?: number; inStock?: boolean }

async function search(f: Filters): Promise<{ total: number; facets: Facets }> {
  const qs = new URLSearchParams({ seller: seller.id, size: '1' });
  if (f.category) qs.set('category', f.category);
  for (const b of f.brand ?? []) qs.append('brand', b);
  if (f.priceMin !== undefined) qs.set('priceMin', String(f.priceMin));
  if (f.priceMax !== undefined) qs.set('priceMax', String(f.priceMax));
  if (f.inStock) qs.set('inStock', 'true');
  const res = await app.inject({ url: `/api/search?${qs}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

/** The same question in SQL: the seller's active items matching `f` without the filters named in `except`. */
async function sqlCount(f: Filters, except: keyof Filters | 'none', groupBy: 'category_slug' | 'brand' | 'price' | null): Promise<Map<string, number>> {
  const where = ['i.seller_id = $1', "i.status = 'active'"];
  const args: unknown[] = [seller.id];
  const arg = (v: unknown) => `$${args.push(v)}`;
  if (f.category && except !== 'category') {
    where.push(`i.category_slug IN (WITH RECURSIVE t AS (SELECT slug FROM categories WHERE slug = ${arg(f.category)} UNION SELECT c.slug FROM categories c JOIN t ON c.parent_slug = t.slug) SELECT slug FROM t)`);
  }
  if (f.brand?.length && except !== 'brand') where.push(`i.brand = ANY(${arg(f.brand)}::text[])`);
  if (f.priceMin !== undefined && except !== 'priceMin') where.push(`i.price >= ${arg(f.priceMin)}`);
  if (f.priceMax !== undefined && except !== 'priceMin') where.push(`i.price <= ${arg(f.priceMax)}`);
  if (f.inStock) where.push('i.stock > 0');
  const bucket = PRICE_RANGES.map((r, n) => `WHEN ${r.from !== undefined ? `i.price >= ${r.from}` : 'true'} AND ${r.to !== undefined ? `i.price < ${r.to}` : 'true'} THEN '${n}'`).join(' ');
  const key = groupBy === 'price' ? `CASE ${bucket} END` : groupBy ? `i.${groupBy}` : "'total'";
  const { rows } = await db.query<{ key: string; n: string }>(`SELECT ${key} AS key, count(*) AS n FROM items i WHERE ${where.join(' AND ')} GROUP BY 1`, args);
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}

const asMap = (buckets: { value: string; count: number }[]) => new Map(buckets.map((b) => [b.value, b.count]));

async function check(f: Filters) {
  const res = await search(f);
  const label = JSON.stringify(f);
  assert.equal(res.total, (await sqlCount(f, 'none', null)).get('total') ?? 0, `total for ${label}`);
  assert.deepEqual(asMap(res.facets.category), await sqlCount(f, 'category', 'category_slug'), `category facet for ${label}`);
  assert.deepEqual(asMap(res.facets.brand), await sqlCount(f, 'brand', 'brand'), `brand facet for ${label}`);
  const prices = await sqlCount(f, 'priceMin', 'price');
  assert.deepEqual(res.facets.price.map((b) => b.count), PRICE_RANGES.map((_, n) => prices.get(String(n)) ?? 0), `price facet for ${label}`);
  assert.deepEqual(res.facets.price.map((b) => [b.from, b.to]), PRICE_RANGES.map((r) => [r.from ?? null, r.to ?? null]));
}

before(async () => {
  db = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  app = await startSearch();
  seller = await newSeller();
  for (let n = 0; n < COUNT; n++) {
    const res = await fetch(`${ITEM_CRUD_URL}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${seller.token}` },
      body: JSON.stringify({
        name: `Facet item ${n}`, description: 'facet test', brand: BRANDS[(n * 7) % BRANDS.length], category: CATEGORIES[n % CATEGORIES.length],
        price: PRICES[(n * 3) % PRICES.length], stock: n % 4 === 0 ? 0 : n,
      }),
    });
    assert.equal(res.status, 201, await res.text());
  }
  // One deleted item must count nowhere.
  const gone = await (await fetch(`${ITEM_CRUD_URL}/api/items?sellerId=${seller.id}&size=1`)).json() as { items: { id: string }[] };
  const del = await fetch(`${ITEM_CRUD_URL}/api/items/${gone.items[0]!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${seller.token}` } });
  assert.equal(del.status, 204);
  await waitFor('the seller\'s items in the live index', async () => (await search({})).total === COUNT - 1, 30_000);
});

after(async () => {
  await app?.close();
  await db?.end();
});

describe('facets against PostgreSQL', () => {
  it('without filters', () => check({}));
  it('two brands selected: the brand facet still counts every brand', async () => {
    await check({ brand: ['Nike', 'Adidas'] });
    const res = await search({ brand: ['Nike', 'Adidas'] });
    assert.equal(res.facets.brand.length, BRANDS.length, 'unselected brands keep their counts');
  });
  it('a root category filters its descendants', async () => {
    await check({ category: 'clothing' });
    const res = await search({ category: 'clothing' });
    assert.ok(res.total > 0);
    assert.equal(res.facets.category.length, CATEGORIES.length, 'the category facet ignores its own selection');
  });
  it('a leaf category', () => check({ category: 'laptops' }));
  it('price range and in stock', () => check({ priceMin: 1000, priceMax: 20000, inStock: true }));
  it('everything at once', () => check({ category: 'electronics', brand: ['Sony', 'Nike'], priceMin: 5000, inStock: true }));
  it('price bounds are inclusive, bucket upper bounds exclusive', () => check({ priceMin: 999.99, priceMax: 5000 }));
});

// Shared set-up of the search integration tests: the search service built in-process against the
// real Elasticsearch and Redis, and item indices of our own (the ETL's real mapping and document
// builder; categories from the real PostgreSQL), so the running stack is never disturbed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import pg from 'pg';
import type { ItemSnapshot, ReviewSummary } from '@shop/contracts';
import type { App } from '@shop/kit';
import { buildDocument, ratingSummary } from '../../item-etl/src/documents/document.ts';
import { IndexLifecycle } from '../../item-etl/src/index/lifecycle.ts';
import { CatalogRepository } from '../../item-etl/src/repositories/catalog.ts';
import { CategoryCache } from '../../item-etl/src/services/categories.ts';
import { buildService } from '../src/app.ts';
import { signUp, sleep, waitFor as pollFor } from '../../test/support.ts';

export const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL_SHOP ?? 'postgresql://shop:shop@127.0.0.1:5432/shop';
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
export const ITEM_CRUD_URL = process.env.ITEM_CRUD_URL ?? 'http://127.0.0.1:8082';

export { sleep };

export async function startSearch(extra: Record<string, string> = {}): Promise<App> {
  const { app } = await buildService({
    HOST: '127.0.0.1', ELASTICSEARCH_URL, REDIS_URL, LOG_LEVEL: 'silent', SEARCH_CACHE_TTL_MS: '0', ...extra,
  });
  await app.ready();
  return app;
}

/** A catalog item of a test collection (see search/test/relevance/README.md). */
export interface FixtureItem {
  key: string;
  id: string;
  name: string;
  description: string;
  brand: string;
  category: string;
  price: string;
  stock: number;
  attributes?: Record<string, string | number>;
  rating?: [number, number];
  article?: number;
  /** The item's review summary as item-crud stores it (`items.review_summary`). */
  reviews?: ReviewSummary;
}

export interface IndexFixture {
  alias: string;
  es: Client;
  close(): Promise<void>;
}

/** A fresh index behind its own alias, holding exactly `items` as the ETL would have indexed them. */
export async function indexItems(label: string, items: FixtureItem[]): Promise<IndexFixture> {
  const alias = `test-search-${label}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const es = new Client({ node: ELASTICSEARCH_URL, requestTimeout: 30_000 });
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  const lifecycle = new IndexLifecycle(es, { alias, refreshInterval: '1s' });
  try {
    const index = await lifecycle.ensureIndex();
    const catalog = new CatalogRepository(db);
    const categories = new CategoryCache({ load: () => catalog.categories() });
    await categories.prepare(items.map((i) => i.category));
    const created = new Date('2026-01-01T00:00:00Z').getTime();
    const operations = items.flatMap((item, n) => {
      const at = new Date(created + n * 60_000).toISOString();
      const snapshot: ItemSnapshot = {
        id: item.id, ...(item.article ? { article: item.article } : {}), sellerId: '00000000-0000-4000-8000-000000000001', name: item.name, description: item.description, brand: item.brand,
        category: item.category, price: item.price, currency: 'RUB', stock: item.stock, attributes: item.attributes ?? {}, images: [],
        status: 'active', version: 1, createdAt: at, updatedAt: at,
      };
      const [sum, count] = item.rating ?? [0, 0];
      const doc = buildDocument(snapshot, { sellerName: 'Test shop', rating: ratingSummary(sum, count), reviewSummary: item.reviews ?? null }, categories.info(item.category));
      return [{ index: { _index: index, _id: item.id } }, doc];
    });
    const res = await es.bulk({ operations, refresh: true });
    if (res.errors) throw new Error(`indexing the fixture failed: ${JSON.stringify(res.items.find((i) => i.index?.error))}`);
  } finally {
    await db.end();
  }
  return {
    alias,
    es,
    async close() {
      const indices = await es.indices.getAlias({ name: alias }).then((r) => Object.keys(r)).catch(() => []);
      for (const index of indices) await es.indices.delete({ index }).catch(() => undefined);
      await es.indices.delete({ index: `${alias}-meta` }).catch(() => undefined);
      await es.close();
    },
  };
}

/** A new seller registered and signed in at the running sso: its id and access token. */
export const newSeller = () => signUp(SSO_URL, {
  email: `search-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@test.example`, password: 'search test password', name: 'Search test seller', role: 'seller',
});

/** Polls until `fn` returns a truthy value, failing after `timeoutMs` (every 200 ms). */
export const waitFor = <T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000) => pollFor(what, fn, timeoutMs, 200);

/** One test per `[label, query string]`: `GET /api/search?…` is a 400 problem+json. */
export function refusesEach(cases: readonly (readonly string[])[], app: () => App): void {
  for (const [label, qs] of cases) {
    it(`400 problem+json: ${label ?? ''}`, async () => {
      const res = await app().inject({ url: `/api/search?${qs}` });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(String(res.headers['content-type']), /application\/problem\+json/);
      assert.equal(res.json().status, 400);
    });
  }
}

// Rebuild (new index from PostgreSQL + dual-write + atomic alias swap) under a steady stream of
// updates and searches, and reconcile/repair — the CLI as an operator runs it, the consumer in-process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ItemSnapshot } from '@shop/contracts';
import type { App } from '@shop/kit';
import { buildService } from '../src/app.ts';
import { buildDocument, ratingSummary } from '../src/documents/document.ts';
import { bulkWrite } from '../src/services/bulk.ts';
import { createFixture, runCli, sleep, waitFor, type Fixture } from './helpers.ts';

const N = 300;
let f: Fixture;
let app: App;
const items = new Map<string, ItemSnapshot>();

async function update(id: string, change: Partial<ItemSnapshot> = {}): Promise<ItemSnapshot> {
  const s = items.get(id)!;
  const next = { ...s, ...change, version: s.version + 1, updatedAt: new Date().toISOString() };
  items.set(id, next);
  await f.insertItem(next); // the database first, then the event (what item-crud's outbox guarantees)
  await f.produceEvents([f.event('item.updated', next)]);
  return next;
}

before(async () => {
  f = await createFixture('rebuild');
  ({ app } = await buildService(f.env()));
  await app.ready();
  const created = Array.from({ length: N }, (_, i) => f.snapshot({ name: `Кроссовки модель ${i}`, brand: i % 2 ? 'NIKE' : 'Asics' }));
  for (const s of created) {
    items.set(s.id, s);
    await f.insertItem(s);
  }
  await f.produceEvents(created.map((s) => f.event('item.created', s)));
  await waitFor(`${N} documents`, async () => (await f.count()) === N, 60_000);
});
after(async () => {
  await app?.close();
  await f?.close();
});

describe('rebuild and reconcile', () => {
  it('rebuilds into a new index and swaps the alias during updates and searches: no errors, never fewer hits', async () => {
    const before = await f.lifecycle.liveIndex();
    let running = true;
    let updates = 0;
    const ids = [...items.keys()];
    const updater = (async () => {
      while (running) {
        await update(ids[Math.floor(Math.random() * ids.length)]!, { name: `Кроссовки обновлённые ${updates}` });
        updates++;
        await sleep(3);
      }
    })();
    const searches = { count: 0, errors: [] as string[], minTotal: Infinity, minMatch: Infinity };
    const searcher = (async () => {
      while (running) {
        try {
          const res = await f.es.search({
            index: f.alias, size: 0, track_total_hits: true,
            query: { bool: { filter: [{ term: { sellerId: f.sellerId } }] } },
            aggs: { morph: { filter: { match: { name: 'кроссовок' } } } },
          });
          const total = typeof res.hits.total === 'number' ? res.hits.total : res.hits.total!.value;
          searches.minTotal = Math.min(searches.minTotal, total);
          searches.minMatch = Math.min(searches.minMatch, (res.aggregations!.morph as { doc_count: number }).doc_count);
          searches.count++;
        } catch (err) {
          searches.errors.push((err as Error).message);
        }
      }
    })();

    // What a rebuild that died would leave: a new index that is still a write target.
    const leftover = await f.lifecycle.createIndex();
    await f.lifecycle.addTarget(leftover);

    await sleep(500);
    const started = Date.now();
    const rebuild = await runCli(['rebuild', '--grace-ms', '2000'], f.env({ LOG_LEVEL: 'warn' }));
    const tookMs = Date.now() - started;
    await sleep(1_500);
    running = false;
    await Promise.all([updater, searcher]);

    assert.equal(rebuild.code, 0, `${rebuild.stdout}\n${rebuild.stderr}`);
    const report = rebuild.json as { ok: boolean; index: string; previous: string[]; deleted: string[]; orphansDeleted: string[]; indexed: number; skipped: number; swapped: boolean };
    assert.equal(report.ok, true);
    assert.equal(report.swapped, true);
    assert.deepEqual(report.previous, [before]);
    assert.deepEqual(report.deleted, [before]);
    assert.deepEqual(report.orphansDeleted, [leftover]);
    // Skipped: the dual-written live stream had already put a newer version into the new index.
    assert.ok(report.indexed + report.skipped >= N, `backfill indexed ${report.indexed}, skipped ${report.skipped}`);
    assert.equal(await f.lifecycle.liveIndex(), report.index);
    assert.deepEqual(await f.lifecycle.targets({ fresh: true }), [report.index]);
    assert.deepEqual(await f.lifecycle.versionedIndices({ stray: true }), [report.index], 'no old, leftover or auto-created index remains');

    console.log(`rebuild took ${tookMs} ms during ${updates} updates and ${searches.count} searches`);
    assert.deepEqual(searches.errors, []);
    assert.ok(searches.count > 20, `only ${searches.count} searches ran`);
    assert.equal(searches.minTotal, N, 'a search saw fewer items than exist');
    assert.equal(searches.minMatch, N, 'a search found fewer items by morphology than exist');
    assert.ok(updates > 50, `only ${updates} updates ran`);

    // Everything converges: every document at its database version.
    const reconciled = await waitFor('zero differences', async () => {
      const r = await runCli(['reconcile', '--seller', f.sellerId], f.env());
      return r.code === 0 ? r : undefined;
    }, 30_000, 1_000);
    assert.deepEqual(reconciled.json.counts, { database: N, index: N, missing: 0, stale: 0, extra: 0 });
    await f.es.indices.refresh({ index: f.alias });
    const sample = [...items.values()].slice(0, 20);
    const docs = await f.es.mget<{ version: number; name: string }>({ index: f.alias, ids: sample.map((s) => s.id) });
    docs.docs.forEach((d, i) => {
      assert.ok('found' in d && d.found);
      assert.equal(d._source!.version, sample[i]!.version);
      assert.equal(d._source!.name, sample[i]!.name.replace(/ё/g, 'е'));
    });
  });

  it('reconcile reports a missing, a stale and an extra document; --repair fixes them', async () => {
    const missing = f.snapshot({ name: 'Только в базе' });
    await f.insertItem(missing);
    items.set(missing.id, missing);

    const staleId = [...items.keys()][0]!;
    const stale = { ...items.get(staleId)!, version: items.get(staleId)!.version + 1, name: 'Изменено без события' };
    await f.insertItem(stale);
    items.set(staleId, stale);

    const extraItem = f.snapshot({ name: 'Только в индексе', version: 5 });
    const extraDoc = buildDocument(extraItem, { sellerName: null, rating: ratingSummary(0, 0) }, { path: [f.category], names: [] });
    const [written] = await bulkWrite(f.es, [{ action: 'index', id: extraItem.id, version: 5, document: extraDoc }], await f.lifecycle.targets({ fresh: true }));
    assert.equal(written!.kind, 'written');

    const check = await runCli(['reconcile', '--seller', f.sellerId], f.env());
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.deepEqual(check.json.missing, [missing.id]);
    assert.deepEqual(check.json.stale, [{ id: staleId, database: stale.version, index: stale.version - 1 }]);
    assert.deepEqual(check.json.extra, [extraItem.id]);
    assert.deepEqual(check.json.counts, { database: N + 1, index: N + 1, missing: 1, stale: 1, extra: 1 });

    const repair = await runCli(['reconcile', '--repair', '--seller', f.sellerId], f.env());
    assert.equal(repair.code, 0, repair.stdout + repair.stderr);
    assert.deepEqual(repair.json.repaired, { indexed: 2, deleted: 1, skipped: 0, failed: [] });

    const again = await runCli(['reconcile', '--seller', f.sellerId], f.env());
    assert.equal(again.code, 0, again.stdout);
    assert.deepEqual(again.json.counts, { database: N + 1, index: N + 1, missing: 0, stale: 0, extra: 0 });
    assert.equal((await f.doc(staleId))?.name, 'Изменено без события');
    assert.equal((await f.doc(missing.id))?.name, 'Только в базе');
    assert.equal(await f.doc(extraItem.id), undefined);
  });

  it('runs one rebuild at a time (exit code 75 while another holds the lock)', async () => {
    assert.ok(await f.lifecycle.acquireLock('rebuild', 'another-operator', 60_000));
    try {
      const busy = await runCli(['rebuild'], f.env());
      assert.equal(busy.code, 75, busy.stdout + busy.stderr);
      assert.match(String(busy.json.error), /holds the lock/);
    } finally {
      await f.lifecycle.releaseLock('rebuild', 'another-operator');
    }
  });

  it('refuses bad usage with exit code 64 and a bad configuration with 78', async () => {
    assert.equal((await runCli(['reconcile', '--seller', 'nope'], f.env())).code, 64);
    assert.equal((await runCli(['frobnicate'], f.env())).code, 64);
    assert.equal((await runCli(['reconcile'], { ...f.env(), DATABASE_URL: 'mysql://x' })).code, 78);
  });
});

/**
 * Reconcile: PostgreSQL (the truth: id, version, not deleted) against what the alias serves.
 * Versions only — a document at the right version has the right content, because every write is
 * a whole snapshot at that version. With `repair`, missing and stale documents are re-indexed from
 * PostgreSQL (external version: never backwards) and extra ones deleted. Events in flight while it
 * runs can show up as differences that the consumer fixes a moment later; repairing them is harmless.
 */
import type { IndexLifecycle } from '../index/lifecycle.ts';
import type { CatalogRepository, Scope } from '../repositories/catalog.ts';
import { bulkWrite, type WriteOp } from './bulk.ts';
import type { DocumentBuilder } from './documents.ts';

export interface ReconcileReport {
  /** Live in PostgreSQL, absent from the index. */
  missing: string[];
  /** In both, at different versions. */
  stale: { id: string; database: number; index: number }[];
  /** In the index, but deleted in (or absent from) PostgreSQL. */
  extra: string[];
  counts: { database: number; index: number; missing: number; stale: number; extra: number };
  repaired?: { indexed: number; deleted: number; skipped: number; failed: { id: string; reason: string }[] };
}

export interface ReconcileDeps { lifecycle: IndexLifecycle; catalog: CatalogRepository; documents: DocumentBuilder }

async function indexVersions(lifecycle: IndexLifecycle, scope: Scope): Promise<Map<string, number>> {
  const { es, alias } = lifecycle;
  const versions = new Map<string, number>();
  await es.indices.refresh({ index: alias }); // what was written a moment ago counts too
  const pit = await es.openPointInTime({ index: alias, keep_alive: '1m' });
  try {
    let after: (string | number)[] | undefined;
    for (;;) {
      const res = await es.search({
        pit: { id: pit.id, keep_alive: '1m' },
        size: 5_000,
        _source: false,
        version: true,
        track_total_hits: false,
        query: scope.sellerId ? { term: { sellerId: scope.sellerId } } : { match_all: {} },
        sort: [{ id: 'asc' }],
        search_after: after,
      });
      const hits = res.hits.hits;
      if (hits.length === 0) break;
      for (const hit of hits) versions.set(hit._id!, hit._version ?? 0);
      after = hits.at(-1)!.sort as (string | number)[];
    }
  } finally {
    await es.closePointInTime({ id: pit.id }).catch(() => undefined);
  }
  return versions;
}

async function databaseVersions(catalog: CatalogRepository, scope: Scope) {
  const live = new Map<string, number>();
  const deleted = new Map<string, number>();
  for (let after: string | null = null; ;) {
    const rows = await catalog.versionsPage(after, 10_000, scope);
    if (rows.length === 0) break;
    for (const r of rows) (r.status === 'deleted' ? deleted : live).set(r.id, r.version);
    after = rows.at(-1)!.id;
  }
  return { live, deleted };
}

export async function reconcile(deps: ReconcileDeps, options: { repair?: boolean; scope?: Scope; bulkMaxDocs: number }): Promise<ReconcileReport> {
  const { lifecycle, catalog, documents } = deps;
  const scope = options.scope ?? {};
  // The index first, then the database: a change committed in between shows up as missing or stale
  // (re-indexed from the database: harmless), never as an extra document that a repair would delete.
  const indexed = await indexVersions(lifecycle, scope);
  const { live, deleted } = await databaseVersions(catalog, scope);

  const missing: string[] = [];
  const stale: ReconcileReport['stale'] = [];
  for (const [id, version] of live) {
    const inIndex = indexed.get(id);
    if (inIndex === undefined) missing.push(id);
    else if (inIndex !== version) stale.push({ id, database: version, index: inIndex });
  }
  const extra = [...indexed.keys()].filter((id) => !live.has(id));
  const report: ReconcileReport = {
    missing, stale, extra,
    counts: { database: live.size, index: indexed.size, missing: missing.length, stale: stale.length, extra: extra.length },
  };
  if (!options.repair) return report;

  const repaired: NonNullable<ReconcileReport['repaired']> = { indexed: 0, deleted: 0, skipped: 0, failed: [] };
  const targets = await lifecycle.targets({ fresh: true });
  const ahead = stale.filter((s) => s.index > s.database);
  for (const s of ahead) repaired.failed.push({ id: s.id, reason: `the index (v${s.index}) is ahead of the database (v${s.database}); not moved backwards` });

  const toIndex = [...missing, ...stale.filter((s) => s.index < s.database).map((s) => s.id)];
  for (let i = 0; i < toIndex.length; i += options.bulkMaxDocs) {
    const rows = await catalog.itemsByIds(toIndex.slice(i, i + options.bulkMaxDocs));
    const built = await documents.fromRows(rows.filter((r) => r.status !== 'deleted'));
    const ops: WriteOp[] = [];
    let b = 0;
    for (const row of rows) {
      if (row.status === 'deleted') {
        ops.push({ action: 'delete', id: row.id, version: row.version });
        continue;
      }
      const result = built[b++]!;
      if (result.ok) ops.push({ action: 'index', id: row.id, version: row.version, document: result.document });
      else repaired.failed.push({ id: row.id, reason: `${result.reason}: ${result.message}` });
    }
    const outcomes = await bulkWrite(lifecycle.es, ops, targets);
    outcomes.forEach((o, n) => {
      if (o.kind === 'failed') repaired.failed.push({ id: ops[n]!.id, reason: o.reason });
      else if (o.kind === 'stale') repaired.skipped++;
      else if (ops[n]!.action === 'index') repaired.indexed++;
      else repaired.deleted++;
    });
  }

  // Extras: deleted at the higher of the index's and the database's version (external_gte accepts an
  // equal one) — unless the item came back to life since the scan.
  const deletes: WriteOp[] = [];
  for (let i = 0; i < extra.length; i += 1000) {
    const ids = extra.slice(i, i + 1000);
    const now = new Map((await catalog.itemsByIds(ids)).map((r) => [r.id, r]));
    for (const id of ids) {
      const row = now.get(id);
      if (row && row.status !== 'deleted') {
        repaired.skipped++;
        continue;
      }
      deletes.push({ action: 'delete', id, version: Math.max(indexed.get(id)!, row?.version ?? 0, deleted.get(id) ?? 0) });
    }
  }
  for (let i = 0; i < deletes.length; i += options.bulkMaxDocs) {
    const chunk = deletes.slice(i, i + options.bulkMaxDocs);
    const outcomes = await bulkWrite(lifecycle.es, chunk, targets, { versionType: 'external_gte' });
    outcomes.forEach((o, n) => {
      if (o.kind === 'failed') repaired.failed.push({ id: chunk[n]!.id, reason: o.reason });
      else if (o.kind === 'stale') repaired.skipped++;
      else repaired.deleted++;
    });
  }
  report.repaired = repaired;
  return report;
}

/**
 * Rebuild: a new versioned index filled from PostgreSQL, then an atomic alias swap.
 *
 * 1. Take the `rebuild` lock (one rebuild at a time; an expired lock is taken over) and drop what a
 *    rebuild that died left behind (versioned indices the alias does not serve, also as write targets).
 * 2. Create `<alias>-v<now>` (refresh off while loading) and add it to `<alias>-targets`: from
 *    now on the live consumer writes every change to both the current and the new index.
 * 3. Wait longer than the consumers' targets cache, so every write that still goes to the old index
 *    alone is for a change already committed in PostgreSQL before the backfill reads it.
 * 4. Backfill: every non-deleted item, keyset-paginated by id (1000 a page), bulk-written with its
 *    version and `version_type: external`. Backfill and dual-writes converge in any order: the higher
 *    version wins, a delete's tombstone (index.gc_deletes = 1 h) refuses older writes.
 * 5. Refresh interval back on, refresh, then one `_aliases` request moves the alias and the write
 *    targets to the new index. Searches see the complete old index until that instant, the
 *    complete new one after it — never an empty or half-filled index.
 * 6. After a grace period (consumers still holding the old targets for up to a second) the old
 *    index is deleted, unless --keep-old.
 * Any failure before the swap removes the new index from the targets and deletes it: the alias never moved.
 */
import { randomUUID } from 'node:crypto';
import type { IndexLifecycle } from '../index/lifecycle.ts';
import { sleep } from '../index/lifecycle.ts';
import type { CatalogRepository } from '../repositories/catalog.ts';
import { RetryableWriteError, bulkWrite, type WriteOp } from './bulk.ts';
import { backoffMs, type Log } from './consumer.ts';
import type { DocumentBuilder } from './documents.ts';

export class RebuildBusyError extends Error {
  constructor(alias: string) {
    super(`another rebuild of ${alias} holds the lock`);
    this.name = 'RebuildBusyError';
  }
}

export interface RebuildDeps { lifecycle: IndexLifecycle; catalog: CatalogRepository; documents: DocumentBuilder; log: Log }

export interface RebuildOptions {
  bulkMaxDocs: number;
  pageSize?: number;
  /** Wait after adding the new write target (must exceed the consumers' targets cache). */
  settleMs?: number;
  /** Wait between the swap and deleting the old index. */
  graceMs?: number;
  keepOld?: boolean;
  /** Called once the new index is a write target and the backfill is about to start (tests). */
  onBackfillStart?: (index: string) => void;
}

export interface RebuildReport {
  index: string;
  previous: string[];
  deleted: string[];
  orphansDeleted: string[];
  indexed: number;
  /** Already newer in the new index (the live stream got there first). */
  skipped: number;
  failed: { id: string; reason: string }[];
  swapped: boolean;
  durationMs: number;
}

const LOCK = 'rebuild';
const LOCK_TTL_MS = 60_000;

/** Runs `fn` until it succeeds, retrying transient write failures (at most `attempts` times). */
async function retrying<T>(fn: () => Promise<T>, log: Log, what: string, attempts = 30): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt + 1 >= attempts) throw err;
      log.warn({ err, attempt }, `${what} failed; retrying`);
      await sleep(backoffMs(attempt));
    }
  }
}

export async function rebuild(deps: RebuildDeps, options: RebuildOptions): Promise<RebuildReport> {
  const { lifecycle, catalog, documents, log } = deps;
  const started = Date.now();
  const owner = randomUUID();
  if (!(await lifecycle.acquireLock(LOCK, owner, LOCK_TTL_MS))) throw new RebuildBusyError(lifecycle.alias);
  let lockLost = false;
  const keepAlive = setInterval(() => {
    lifecycle.extendLock(LOCK, owner, LOCK_TTL_MS).then((held) => {
      if (!held) lockLost = true;
    }, (err: unknown) => log.warn({ err }, 'could not extend the rebuild lock'));
  }, LOCK_TTL_MS / 4);
  const checkLock = () => {
    if (lockLost) throw new Error('the rebuild lock was lost (another rebuild took it over); aborting');
  };

  let index: string | undefined;
  let swapped = false;
  try {
    await lifecycle.ensureIndex();
    const orphansDeleted = await lifecycle.leftoverIndices();
    if (orphansDeleted.length) {
      log.warn({ orphans: orphansDeleted }, 'deleting indices left behind by an earlier rebuild');
      for (const orphan of orphansDeleted) await lifecycle.removeTarget(orphan);
      await lifecycle.deleteIndices(orphansDeleted);
    }

    index = await lifecycle.createIndex({ refreshInterval: '-1' });
    await lifecycle.addTarget(index);
    log.info({ index }, 'new index created and dual-written; waiting for every consumer to see it');
    await sleep(options.settleMs ?? lifecycle.targetsCacheMs * 2 + 500);
    options.onBackfillStart?.(index);

    let indexed = 0;
    let skipped = 0;
    const failed: { id: string; reason: string }[] = [];
    const pageSize = options.pageSize ?? 1000;
    for (let after: string | null = null; ;) {
      checkLock();
      const rows = await retrying(() => catalog.liveItemsPage(after, pageSize), log, 'reading items');
      if (rows.length === 0) break;
      after = rows.at(-1)!.id;
      const built = await documents.fromRows(rows);
      const ops: WriteOp[] = [];
      rows.forEach((row, i) => {
        const b = built[i]!;
        if (b.ok) ops.push({ action: 'index', id: row.id, version: row.version, document: b.document });
        else failed.push({ id: row.id, reason: `${b.reason}: ${b.message}` });
      });
      for (let i = 0; i < ops.length; i += options.bulkMaxDocs) {
        const chunk = ops.slice(i, i + options.bulkMaxDocs);
        const outcomes = await retrying(() => bulkWrite(lifecycle.es, chunk, [index!]), log, 'bulk write');
        outcomes.forEach((o, n) => {
          if (o.kind === 'written') indexed++;
          else if (o.kind === 'stale') skipped++;
          else failed.push({ id: chunk[n]!.id, reason: o.reason });
        });
      }
      log.info({ index, indexed, skipped, failed: failed.length }, 'backfill progress');
    }
    if (failed.length > 0) {
      throw Object.assign(new Error(`${failed.length} item(s) could not be indexed; the alias was not moved`), { failed });
    }

    checkLock();
    await lifecycle.es.indices.putSettings({ index, settings: { refresh_interval: lifecycle.refreshInterval } });
    await retrying(() => lifecycle.es.indices.refresh({ index: index! }), log, 'refresh');
    const previous = await lifecycle.swap(index);
    swapped = true;
    log.info({ index, previous }, 'alias swapped');

    let deleted: string[] = [];
    if (!options.keepOld && previous.length > 0) {
      await sleep(options.graceMs ?? 5_000);
      await lifecycle.deleteIndices(previous);
      deleted = previous;
    }
    return { index, previous, deleted, orphansDeleted, indexed, skipped, failed, swapped, durationMs: Date.now() - started };
  } catch (err) {
    if (index && !swapped) {
      log.error({ err, index }, 'rebuild failed; dropping the new index');
      await lifecycle.removeTarget(index).catch(() => undefined);
      await lifecycle.deleteIndices([index]).catch(() => undefined);
    }
    throw err instanceof RetryableWriteError ? new Error(`rebuild gave up: ${err.message}`, { cause: err }) : err;
  } finally {
    clearInterval(keepAlive);
    await lifecycle.releaseLock(LOCK, owner);
  }
}

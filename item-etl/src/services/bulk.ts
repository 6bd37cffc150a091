/**
 * One `_bulk` request for a set of writes to every target index, and the per-write verdicts.
 * Every write carries the item's version with an external version type, so replays, duplicates
 * and out-of-order events can never move a document backwards.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import type { ItemDocument } from '../documents/document.ts';
import { writeAlias } from '../index/lifecycle.ts';

export type WriteOp =
  | { action: 'index'; id: string; version: number; document: ItemDocument }
  | { action: 'delete'; id: string; version: number };

export type WriteOutcome =
  /** Written (created, updated or deleted) in at least one target. */
  | { kind: 'written' }
  /** Every target already had this version or a newer one (409), or the delete found nothing: nothing to do. */
  | { kind: 'stale' }
  /** Refused for good (a mapping error, say): the event belongs in the dead-letter topic. */
  | { kind: 'failed'; reason: string };

/** A failure worth retrying the same writes for: the request failed, or an item hit a transient error. */
export class RetryableWriteError extends Error {
  /** The write targets must be re-read before the retry (an index disappeared). */
  readonly refreshTargets: boolean;
  constructor(message: string, options: { cause?: unknown; refreshTargets?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RetryableWriteError';
    this.refreshTargets = options.refreshTargets ?? false;
  }
}

export interface BulkOptions {
  /** `external` (the default) needs a strictly higher version; `external_gte` accepts an equal one (repairs). */
  versionType?: 'external' | 'external_gte';
  requestTimeoutMs?: number;
}

const TRANSIENT_ITEM_ERRORS = new Set(['es_rejected_execution_exception', 'unavailable_shards_exception', 'cluster_block_exception', 'circuit_breaking_exception', 'no_shard_available_action_exception']);

/**
 * Sends `ops` to every index in `targets` (through each index's write alias) in one request. Throws
 * RetryableWriteError when the request itself failed, any item failed transiently, or a target is
 * gone; otherwise returns one outcome per op.
 */
export async function bulkWrite(es: Client, ops: WriteOp[], targets: string[], options: BulkOptions = {}): Promise<WriteOutcome[]> {
  if (ops.length === 0) return [];
  const versionType = options.versionType ?? 'external';
  const operations: (estypes.BulkOperationContainer | ItemDocument)[] = [];
  const owners: number[] = [];
  ops.forEach((op, i) => {
    for (const index of targets) {
      const meta = { _index: writeAlias(index), _id: op.id, version: op.version, version_type: versionType };
      if (op.action === 'index') operations.push({ index: { ...meta, require_alias: true } }, op.document);
      else operations.push({ delete: meta });
      owners.push(i);
    }
  });

  let res: estypes.BulkResponse;
  try {
    res = await es.bulk(
      { operations, filter_path: 'errors,items.*._index,items.*.status,items.*.result,items.*.error.type,items.*.error.reason' },
      { requestTimeout: options.requestTimeoutMs ?? 30_000, maxRetries: 0 },
    );
  } catch (err) {
    throw new RetryableWriteError(`bulk request failed: ${(err as Error).message}`, { cause: err });
  }

  const written = new Array<boolean>(ops.length).fill(false);
  const failures = new Map<number, string>();
  const strays = new Set<string>();
  let gone: string | undefined;
  let transient: string | undefined;
  res.items.forEach((item, n) => {
    const i = owners[n]!;
    const result = Object.values(item)[0] as estypes.BulkResponseItem;
    const code = result.status;
    // A delete sent to the write alias of an index deleted meanwhile auto-creates an index of that name.
    if (!result.error && result._index.endsWith('-w')) {
      strays.add(result._index);
      return;
    }
    if (code >= 200 && code < 300) {
      written[i] = true;
      return;
    }
    if (code === 409) return; // this version or a newer one is already there
    if (code === 404 && !result.error) return; // delete of a document that is not there (the tombstone is recorded)
    const type = result.error?.type ?? `status ${code}`;
    if (type === 'index_not_found_exception') {
      gone ??= result._index;
      return;
    }
    if (code === 429 || code >= 500 || TRANSIENT_ITEM_ERRORS.has(type)) {
      transient ??= `transient write error on ${result._index}: ${type}: ${result.error?.reason ?? ''}`;
      return;
    }
    if (!failures.has(i)) failures.set(i, `${type}: ${result.error?.reason ?? 'no reason given'}`.slice(0, 900));
  });
  for (const stray of strays) await es.indices.delete({ index: stray, ignore_unavailable: true }).catch(() => undefined);
  if (gone !== undefined || strays.size > 0) {
    throw new RetryableWriteError(`target ${gone ?? [...strays].join(', ')} is gone`, { refreshTargets: true });
  }
  if (transient !== undefined) throw new RetryableWriteError(transient);
  return ops.map((_, i): WriteOutcome => {
    const failure = failures.get(i);
    if (failure !== undefined) return { kind: 'failed', reason: failure };
    return written[i] ? { kind: 'written' } : { kind: 'stale' };
  });
}

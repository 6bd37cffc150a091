import type { Metrics } from '@shop/kit';
import { ITEM_OBJECTS_PREFIX, parseImageKey, type ImageStore } from '../repositories/image-store.ts';
import type { ImageRepository } from '../repositories/images.ts';

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ImageObjectMetrics {
  removalFailures: ReturnType<Metrics['counter']>;
}

export function imageObjectMetrics(metrics: Metrics): ImageObjectMetrics {
  return {
    removalFailures: metrics.counter({
      name: 'image_object_removal_failures_total',
      help: 'Image objects that could not be removed after their rows were deleted (left for `cli.ts sweep-images`)',
    }),
  };
}

/** Pauses between removal attempts (the first attempt runs at once). */
const RETRY_DELAYS_MS = [100, 500];

/**
 * Removes the objects of images whose rows are gone (committed). Retries a failure twice; what still fails
 * is logged with its keys and counted in `image_object_removal_failures_total`, never thrown: the database
 * change stands, and `node item-crud/src/cli.ts sweep-images` removes every object without a row later.
 */
export class ImageObjects {
  readonly #store: ImageStore;
  readonly #log: Log;
  readonly #metrics: ImageObjectMetrics;
  constructor(store: ImageStore, log: Log, metrics: ImageObjectMetrics) {
    this.#store = store;
    this.#log = log;
    this.#metrics = metrics;
  }

  async remove(images: { key: string; thumbKey: string }[]): Promise<boolean> {
    const keys = images.flatMap((i) => [i.key, i.thumbKey]);
    if (keys.length === 0) return true;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#store.remove(keys);
        return true;
      } catch (err) {
        if (attempt < RETRY_DELAYS_MS.length) {
          await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
          continue;
        }
        this.#metrics.removalFailures.inc(keys.length);
        this.#log.error({ err, keys, bucket: this.#store.bucket }, 'image objects could not be removed; `cli.ts sweep-images` will remove them');
        return false;
      }
    }
  }
}

export interface SweepReport {
  /** Objects listed under `items/`. */
  scanned: number;
  /** Objects of images without a row, old enough: removed (or, with dryRun, to be removed). */
  orphans: string[];
  removed: number;
  /** Orphans younger than the grace period (an upload between storing and committing looks the same). */
  tooRecent: number;
  /** Keys under `items/` that do not follow the key convention: reported, never removed. */
  unknown: string[];
  /** Orphans whose removal failed. */
  failed: string[];
}

/**
 * The orphan sweep: objects under `items/` whose image has no row (a removal that failed after its commit,
 * a crash between storing an upload and committing it) and that are older than `graceMs`, are removed.
 * Rows are checked in pages of 500 keys; objects of images that still have a row are never touched.
 * `itemId` narrows the sweep to `items/<itemId>/`.
 */
export async function sweepOrphanObjects(
  deps: { store: ImageStore; images: ImageRepository },
  options: { graceMs: number; dryRun?: boolean; now?: Date; itemId?: string },
): Promise<SweepReport> {
  const report: SweepReport = { scanned: 0, orphans: [], removed: 0, tooRecent: 0, unknown: [], failed: [] };
  const cutoff = (options.now ?? new Date()).getTime() - options.graceMs;
  let page: { key: string; imageId: string; lastModified: Date }[] = [];

  const flush = async () => {
    const batch = page;
    page = [];
    if (batch.length === 0) return;
    const alive = await deps.images.existing([...new Set(batch.map((o) => o.imageId))]);
    const orphans: string[] = [];
    for (const o of batch) {
      if (alive.has(o.imageId)) continue;
      if (o.lastModified.getTime() > cutoff) report.tooRecent++;
      else orphans.push(o.key);
    }
    report.orphans.push(...orphans);
    if (options.dryRun || orphans.length === 0) return;
    try {
      await deps.store.remove(orphans);
      report.removed += orphans.length;
    } catch {
      report.failed.push(...orphans);
    }
  };

  const prefix = options.itemId ? `${ITEM_OBJECTS_PREFIX}${options.itemId}/` : ITEM_OBJECTS_PREFIX;
  for await (const object of deps.store.list(prefix)) {
    report.scanned++;
    const parsed = parseImageKey(object.key);
    if (!parsed) {
      report.unknown.push(object.key);
      continue;
    }
    page.push({ key: object.key, imageId: parsed.imageId, lastModified: object.lastModified });
    if (page.length >= 500) await flush();
  }
  await flush();
  return report;
}

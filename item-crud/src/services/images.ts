import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { conflict, forbidden, notFound, type Metrics } from '@shop/kit';
import type { Identity } from '@shop/contracts';
import { originalKey, thumbKey, type ImageStore } from '../repositories/image-store.ts';
import type { ImageRecord, ImageRepository } from '../repositories/images.ts';
import type { ItemRecord, ItemRepository, Tx } from '../repositories/items.ts';
import type { OutboxWriter } from '../repositories/outbox.ts';
import { outboxRowFor } from './events.ts';
import type { ImageObjects } from './image-objects.ts';
import { THUMB_CONTENT_TYPE, imageTooLarge, processImage } from './image-processing.ts';
import { canManage } from './items.ts';
import { toImageView, type ImageView } from './views.ts';

/** The item-events contract caps a snapshot at 20 images. */
export const MAX_IMAGES_PER_ITEM = 20;

export interface ImageLimits {
  /** Largest file, in bytes (IMAGE_MAX_BYTES). */
  maxBytes: number;
  /** Largest image, in pixels (IMAGE_MAX_PIXELS). */
  maxPixels: number;
}

export interface ImageMetrics {
  uploads: ReturnType<Metrics['counter']>;
}

export function imageMetrics(metrics: Metrics): ImageMetrics {
  return {
    uploads: metrics.counter({
      name: 'image_uploads_total', help: 'Image uploads by outcome (stored, too-large, unsupported, too-many, item-gone, failed)',
      labelNames: ['outcome'] as const,
    }),
  };
}

/** Test seams: a throw inside the transaction rolls it back (the stored objects must then be removed). */
export interface ImageHooks {
  beforeCommit?(image: ImageRecord): Promise<void> | void;
}

export interface ImageServiceDeps {
  items: ItemRepository;
  images: ImageRepository;
  store: ImageStore;
  objects: ImageObjects;
  outbox: OutboxWriter;
  limits: ImageLimits;
  metrics: ImageMetrics;
  log: { warn(obj: object, msg: string): void };
  hooks?: ImageHooks;
}

const tooMany = () => conflict(`An item has at most ${MAX_IMAGES_PER_ITEM} images; delete one first`);

/**
 * Item images: owner seller or admin; the bytes are checked and a thumbnail made before anything is
 * stored; objects are stored before the row; the row, the item's version bump and its `item.updated`
 * event commit together; objects of a change that did not commit are removed.
 */
export class ImageService {
  readonly #d: ImageServiceDeps;
  constructor(deps: ImageServiceDeps) {
    this.#d = deps;
  }

  get limits(): ImageLimits {
    return this.#d.limits;
  }

  /** The checks that need no body, done before reading it: 404, 403, and 409 when the item is full. */
  async assertCanAdd(identity: Identity, itemId: string): Promise<void> {
    const row = await this.#manageable(identity, itemId);
    if (row.images.length >= MAX_IMAGES_PER_ITEM) {
      this.#d.metrics.uploads.inc({ outcome: 'too-many' });
      throw tooMany();
    }
  }

  /**
   * Reads an uploaded file stream into memory, at most `maxBytes` (the multipart parser truncates the
   * stream at its `fileSize` limit and sets `truncated`; the count here is a second guard): 413 beyond.
   */
  async readUpload(file: Readable & { truncated?: boolean }): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of file as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.#d.limits.maxBytes) break;
      chunks.push(chunk);
    }
    if (file.truncated || size > this.#d.limits.maxBytes) {
      file.destroy();
      this.#d.metrics.uploads.inc({ outcome: 'too-large' });
      throw imageTooLarge(`The file is larger than ${this.#d.limits.maxBytes} bytes, the most accepted`);
    }
    return Buffer.concat(chunks, size);
  }

  async add(identity: Identity, itemId: string, bytes: Buffer): Promise<{ image: ImageView; itemVersion: number }> {
    await this.#manageable(identity, itemId);
    let processed;
    try {
      processed = await processImage(bytes, { maxPixels: this.#d.limits.maxPixels });
    } catch (err) {
      this.#d.metrics.uploads.inc({ outcome: (err as { status?: number }).status === 413 ? 'too-large' : 'unsupported' });
      throw err;
    }
    const imageId = randomUUID();
    const keys = { key: originalKey(itemId, imageId), thumbKey: thumbKey(itemId, imageId) };
    try {
      // The original exactly as uploaded (bytes unchanged), then the thumbnail.
      await this.#d.store.put(keys.key, bytes, processed.contentType);
      await this.#d.store.put(keys.thumbKey, processed.thumb.bytes, THUMB_CONTENT_TYPE);
    } catch (err) {
      this.#d.metrics.uploads.inc({ outcome: 'failed' });
      await this.#d.objects.remove([keys]);
      throw err;
    }
    try {
      const { image, item } = await this.#d.items.transaction(async (tx) => {
        const row = await this.#d.items.bumpVersion(tx, itemId);
        if (!row) throw notFound(`No item with id ${itemId}`);
        if (row.images.length >= MAX_IMAGES_PER_ITEM) throw tooMany();
        const position = row.images.reduce((max, i) => Math.max(max, i.position + 1), 0);
        const inserted = await this.#d.images.insert(tx, {
          id: imageId, itemId, ...keys, contentType: processed.contentType, size: processed.size,
          width: processed.width, height: processed.height, position,
        });
        const after: ItemRecord = { ...row, images: [...row.images, inserted] };
        await this.#record(tx, after);
        await this.#d.hooks?.beforeCommit?.(inserted);
        return { image: inserted, item: after };
      });
      this.#d.metrics.uploads.inc({ outcome: 'stored' });
      return { image: toImageView(image), itemVersion: item.version };
    } catch (err) {
      const status = (err as { status?: number }).status;
      this.#d.metrics.uploads.inc({ outcome: status === 404 ? 'item-gone' : status === 409 ? 'too-many' : 'failed' });
      await this.#discard(imageId, keys);
      throw err;
    }
  }

  /** Deletes one image: row, version bump and `item.updated` in one transaction, then its two objects. Answers the new item version. */
  async delete(identity: Identity, itemId: string, imageId: string): Promise<number> {
    await this.#manageable(identity, itemId);
    const { removed, version } = await this.#d.items.transaction(async (tx) => {
      const row = await this.#d.items.bumpVersion(tx, itemId);
      if (!row) throw notFound(`No item with id ${itemId}`);
      const image = row.images.find((i) => i.id === imageId);
      if (!image || !(await this.#d.images.delete(tx, itemId, imageId))) throw notFound(`Item ${itemId} has no image ${imageId}`);
      const after: ItemRecord = { ...row, images: row.images.filter((i) => i.id !== imageId) };
      await this.#record(tx, after);
      return { removed: image, version: after.version };
    });
    await this.#d.objects.remove([removed]);
    return version;
  }

  /**
   * The transaction failed: remove the objects, unless the row exists after all (a COMMIT whose answer
   * was lost can have committed) or that cannot be told (then the orphan sweep decides later).
   */
  async #discard(imageId: string, keys: { key: string; thumbKey: string }): Promise<void> {
    let committed: boolean;
    try {
      committed = (await this.#d.images.existing([imageId])).has(imageId);
    } catch (err) {
      this.#d.log.warn({ err, keys }, 'could not tell whether an image row committed; its objects are left to the orphan sweep');
      return;
    }
    if (!committed) await this.#d.objects.remove([keys]);
  }

  async #manageable(identity: Identity, itemId: string): Promise<ItemRecord> {
    const row = await this.#d.items.findById(itemId);
    if (!row || row.status === 'deleted') throw notFound(`No item with id ${itemId}`);
    if (!canManage(identity, row)) throw forbidden('Only the seller of this item or an admin may change its images');
    return row;
  }

  async #record(tx: Tx, row: ItemRecord): Promise<void> {
    await this.#d.outbox.add(tx, outboxRowFor('item.updated', row).row);
  }
}

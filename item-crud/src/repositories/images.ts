import type { ItemImage } from '@shop/prisma/shop';
import type { Db } from '../db.ts';
import type { Tx } from './items.ts';

export type ImageRecord = ItemImage;

export interface NewImage {
  id: string;
  itemId: string;
  key: string;
  thumbKey: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
  position: number;
}

/** Image metadata rows (`item_images`); the bytes live in the object store (`image-store.ts`). */
export class ImageRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(tx: Tx, image: NewImage): Promise<ImageRecord> {
    return tx.itemImage.create({ data: image });
  }

  /** Deletes one image of one item; answers whether there was such a row. */
  async delete(tx: Tx, itemId: string, imageId: string): Promise<boolean> {
    const { count } = await tx.itemImage.deleteMany({ where: { id: imageId, itemId } });
    return count > 0;
  }

  /** Deletes every image row of an item; answers them (their objects are removed after the commit). */
  async deleteAllOfItem(tx: Tx, itemId: string): Promise<ImageRecord[]> {
    const rows = await tx.itemImage.findMany({ where: { itemId } });
    if (rows.length > 0) await tx.itemImage.deleteMany({ where: { itemId } });
    return rows;
  }

  /** Which of `ids` still have a row (the orphan sweep keeps their objects). */
  async existing(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.#db.itemImage.findMany({ where: { id: { in: ids } }, select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }
}

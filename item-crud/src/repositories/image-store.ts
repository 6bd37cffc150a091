import type { Client } from 'minio';

/**
 * Object keys in the images bucket, a fixed convention the facade serves from:
 * `items/<itemId>/<imageId>/original` (the uploaded bytes, unchanged) and `items/<itemId>/<imageId>/thumb` (WebP).
 */
export const ITEM_OBJECTS_PREFIX = 'items/';
export const originalKey = (itemId: string, imageId: string) => `${ITEM_OBJECTS_PREFIX}${itemId}/${imageId}/original`;
export const thumbKey = (itemId: string, imageId: string) => `${ITEM_OBJECTS_PREFIX}${itemId}/${imageId}/thumb`;

const KEY = /^items\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/(original|thumb)$/;

/** The item and image ids of a key that follows the convention, or null. */
export function parseImageKey(key: string): { itemId: string; imageId: string; variant: 'original' | 'thumb' } | null {
  const m = KEY.exec(key);
  return m ? { itemId: m[1]!, imageId: m[2]!, variant: m[3] as 'original' | 'thumb' } : null;
}

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

interface ObjectError {
  Key?: string;
  Code?: string;
  Message?: string;
}

/** The images bucket (MinIO / S3): all object I/O of item-crud. */
export class ImageStore {
  readonly #client: Client;
  readonly bucket: string;
  constructor(client: Client, bucket: string) {
    this.#client = client;
    this.bucket = bucket;
  }

  /** Stores `body` under `key` with its Content-Type as object metadata. */
  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.#client.putObject(this.bucket, key, body, body.length, { 'Content-Type': contentType });
  }

  /** Removes `keys` (a missing key is not an error); throws when any removal failed. */
  async remove(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const results = await this.#client.removeObjects(this.bucket, keys);
    // minio 8 answers the <Error> entries of the DeleteResult themselves ({Key, Code, Message}), its types say {Error}.
    const failed = (results as unknown[] ?? []).map((r) => {
      const entry = (r ?? {}) as { Error?: ObjectError } & ObjectError;
      return entry.Error ?? (entry.Key || entry.Code ? entry : null);
    }).filter((e): e is ObjectError => e !== null);
    if (failed.length > 0) {
      throw new Error(`could not remove ${failed.length} object(s): ${failed.map((e) => `${e.Key ?? '?'}: ${e.Code ?? e.Message ?? 'error'}`).join(', ')}`);
    }
  }

  /** Every object under `prefix`, in key order. */
  async *list(prefix: string): AsyncGenerator<StoredObject> {
    const stream = this.#client.listObjectsV2(this.bucket, prefix, true);
    for await (const item of stream as AsyncIterable<{ name?: string; size: number; lastModified: Date }>) {
      if (item.name) yield { key: item.name, size: item.size, lastModified: item.lastModified };
    }
  }
}

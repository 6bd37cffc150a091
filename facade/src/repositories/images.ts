/**
 * Image bytes in MinIO. Keys follow item-crud's convention `items/<itemId>/<imageId>/<size>`
 * (size `original` or `thumb`); the Content-Type is the object's own metadata. Keys are never
 * reused (an image id is a new uuid), which is what makes the answers immutable.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Client } from 'minio';

export const IMAGE_SIZES = ['original', 'thumb'] as const;
export type ImageSize = (typeof IMAGE_SIZES)[number];

/** Time to the first byte of a MinIO answer (headers); the body then streams at its own pace. */
export const MINIO_TIMEOUT_MS = 2_000;

export const imageKey = (itemId: string, imageId: string, size: ImageSize) => `items/${itemId}/${imageId}/${size}`;

export interface ImageStat {
  size: number;
  /** Strong entity tag, quoted: `"<MinIO etag>"`. */
  etag: string;
  lastModified: Date;
  contentType: string;
}

/** No such object (or bucket): a 404 for the client. */
export class ImageNotFoundError extends Error {
  constructor(key: string) {
    super(`no image object ${key}`);
    this.name = 'ImageNotFoundError';
  }
}

/** MinIO failed or did not answer in time: a 503 for the client, never MinIO's own text. */
export class ImageStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageStoreError';
  }
}

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchObject']);
const IMAGE_TYPE = /^image\/(jpeg|png|webp|gif|avif)$/;

/** Only image types we serve are echoed; anything else is opaque bytes (with nosniff, never rendered as HTML). */
export const safeContentType = (value: unknown) => {
  const type = typeof value === 'string' ? value.split(';')[0]!.trim().toLowerCase() : '';
  return IMAGE_TYPE.test(type) ? type : 'application/octet-stream';
};

const quote = (etag: string) => `"${etag.replace(/^(W\/)?"?|"?$/g, '')}"`;

export class ImageRepository {
  readonly #minio: Client;
  readonly #bucket: string;
  constructor(minio: Client, bucket: string) {
    this.#minio = minio;
    this.#bucket = bucket;
  }

  async stat(key: string): Promise<ImageStat> {
    const stat = await this.#call(key, () => this.#minio.statObject(this.#bucket, key));
    return { size: stat.size, etag: quote(stat.etag), lastModified: stat.lastModified, contentType: safeContentType(stat.metaData['content-type']) };
  }

  /** The whole object, with its stat taken from the same answer (one round trip). */
  async open(key: string): Promise<{ stat: ImageStat; body: Readable }> {
    const body = (await this.#call(key, () => this.#minio.getObject(this.#bucket, key))) as Readable & Partial<Pick<IncomingMessage, 'headers'>>;
    const headers = body.headers ?? {};
    const size = Number(headers['content-length']);
    const lastModified = new Date(String(headers['last-modified']));
    if (!Number.isSafeInteger(size) || typeof headers.etag !== 'string' || Number.isNaN(lastModified.getTime())) {
      body.destroy();
      // Not the answer shape we know (another MinIO client version): take the stat separately.
      const stat = await this.stat(key);
      return { stat, body: await this.openRange(key, 0, stat.size) };
    }
    return { stat: { size, etag: quote(headers.etag), lastModified, contentType: safeContentType(headers['content-type']) }, body };
  }

  /** `length` bytes from `offset`. */
  async openRange(key: string, offset: number, length: number): Promise<Readable> {
    return this.#call(key, () => this.#minio.getPartialObject(this.#bucket, key, offset, length));
  }

  async #call<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const pending = fn();
    try {
      return await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(new ImageStoreError(`image storage did not answer within ${MINIO_TIMEOUT_MS} ms`));
          }, MINIO_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      if (err instanceof ImageStoreError) throw err;
      const code = (err as { code?: string }).code;
      if (code && NOT_FOUND_CODES.has(code)) throw new ImageNotFoundError(key);
      throw new ImageStoreError('image storage failed', { cause: err });
    } finally {
      clearTimeout(timer);
      // A stream that arrives after we gave up must not hold a MinIO connection.
      if (timedOut) void pending.then((v) => (v as { destroy?: () => void }).destroy?.(), () => undefined);
    }
  }
}

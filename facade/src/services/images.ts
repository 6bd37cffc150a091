/**
 * Image delivery rules: conditional requests (304), one byte range (206/416), HEAD without a body.
 * A plain GET opens the object directly (one MinIO round trip); only requests whose answer depends
 * on the validators or the size take a stat first.
 */
import type { Readable } from 'node:stream';
import { ifNoneMatchMatches, ifRangeAllows, notModifiedSince, parseRange } from '../http/conditional.ts';
import { type ImageRepository, type ImageSize, type ImageStat, imageKey } from '../repositories/images.ts';

export interface ImageRequest {
  itemId: string;
  imageId: string;
  size: ImageSize;
  method: 'GET' | 'HEAD';
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  range?: string;
  ifRange?: string;
}

export type ImageAnswer =
  | { status: 200; stat: ImageStat; body?: Readable }
  | { status: 206; stat: ImageStat; start: number; end: number; body: Readable }
  | { status: 304; stat: ImageStat }
  | { status: 416; stat: ImageStat };

export class ImageService {
  readonly #images: ImageRepository;
  constructor(images: ImageRepository) {
    this.#images = images;
  }

  async serve(req: ImageRequest): Promise<ImageAnswer> {
    const key = imageKey(req.itemId, req.imageId, req.size);
    const conditional = req.ifNoneMatch !== undefined || req.ifModifiedSince !== undefined;
    if (req.method === 'GET' && !conditional && req.range === undefined) {
      const { stat, body } = await this.#images.open(key);
      return { status: 200, stat, body };
    }
    const stat = await this.#images.stat(key);
    // If-Modified-Since only counts without If-None-Match (RFC 9110 §13.1.3).
    if (req.ifNoneMatch !== undefined ? ifNoneMatchMatches(req.ifNoneMatch, stat.etag) : notModifiedSince(req.ifModifiedSince, stat.lastModified)) {
      return { status: 304, stat };
    }
    // Range is defined for GET only; HEAD answers as for the whole image.
    if (req.method === 'HEAD') return { status: 200, stat };
    const range = ifRangeAllows(req.ifRange, stat.etag, stat.lastModified) ? parseRange(req.range, stat.size) : { kind: 'none' as const };
    if (range.kind === 'unsatisfiable') return { status: 416, stat };
    if (range.kind === 'partial') {
      const body = await this.#images.openRange(key, range.start, range.end - range.start + 1);
      return { status: 206, stat, start: range.start, end: range.end, body };
    }
    const body = stat.size === 0 ? undefined : await this.#images.openRange(key, 0, stat.size);
    return { status: 200, stat, body };
  }
}

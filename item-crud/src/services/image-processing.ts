import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { HttpProblem, problemType } from '@shop/kit';

/** The image types accepted, as detected from the bytes (the declared type and the file name are ignored). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** Thumbnails fit inside this box (never enlarged), WebP. */
export const THUMB_MAX_SIDE = 320;
export const THUMB_CONTENT_TYPE = 'image/webp';
const THUMB_QUALITY = 80;

// libvips' operation cache keeps recent inputs and outputs in memory; every upload is a new image.
sharp.cache(false);

/** The type the magic bytes say: JPEG `FF D8 FF`, PNG `89 50 4E 47 0D 0A 1A 0A`, WebP `RIFF....WEBP`. */
export function sniffImageType(bytes: Buffer): ImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

const SHARP_FORMAT: Record<ImageType, string> = { 'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp' };

export const unsupportedImage = (detail: string) => new HttpProblem(415, detail, { type: problemType('unsupported-image') });
export const imageTooLarge = (detail: string) => new HttpProblem(413, detail, { type: problemType('image-too-large') });

export interface ProcessedImage {
  contentType: ImageType;
  /** As displayed: EXIF orientation applied (90° rotations swap the stored width and height). */
  width: number;
  height: number;
  size: number;
  thumb: { bytes: Buffer; width: number; height: number };
}

/**
 * Checks an uploaded file and makes its thumbnail, storing nothing: the type from the magic bytes (415
 * otherwise), the decoder must agree, at most `maxPixels` pixels (413: a small file can decode to gigabytes;
 * sharp's `limitInputPixels` refuses it before decoding), and the whole image must decode without a warning
 * (`failOn: 'warning'`: truncated or corrupt data is a 415). The thumbnail honours EXIF orientation.
 */
export async function processImage(bytes: Buffer, options: { maxPixels: number }): Promise<ProcessedImage> {
  const contentType = sniffImageType(bytes);
  if (!contentType) throw unsupportedImage('The file is not a JPEG, PNG or WebP image (its content was checked, not its name or declared type)');
  const input = { failOn: 'warning', limitInputPixels: options.maxPixels } as const;
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, input).metadata();
  } catch (err) {
    throw decodeProblem(err, options.maxPixels);
  }
  if (metadata.format !== SHARP_FORMAT[contentType]) {
    throw unsupportedImage(`The file starts like ${contentType} but decodes as ${metadata.format ?? 'nothing'}`);
  }
  if (metadata.width * metadata.height > options.maxPixels) throw tooManyPixels(metadata.width, metadata.height, options.maxPixels);
  let thumb: { data: Buffer; info: OutputInfo };
  try {
    thumb = await sharp(bytes, input)
      .autoOrient()
      .resize(THUMB_MAX_SIDE, THUMB_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: THUMB_QUALITY })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw decodeProblem(err, options.maxPixels);
  }
  return {
    contentType,
    width: metadata.autoOrient.width,
    height: metadata.autoOrient.height,
    size: bytes.length,
    thumb: { bytes: thumb.data, width: thumb.info.width, height: thumb.info.height },
  };
}

const tooManyPixels = (width: number, height: number, maxPixels: number) =>
  imageTooLarge(`The image is ${width}×${height} pixels; at most ${maxPixels} pixels (${Math.round(maxPixels / 1e6)} megapixels) are accepted`);

function decodeProblem(err: unknown, maxPixels: number): HttpProblem {
  const message = (err as Error).message ?? String(err);
  if (/pixel limit/i.test(message)) return imageTooLarge(`The image has more than ${maxPixels} pixels (${Math.round(maxPixels / 1e6)} megapixels), the most accepted`);
  return unsupportedImage(`The image could not be decoded (truncated or corrupt): ${message.split('\n')[0]}`);
}

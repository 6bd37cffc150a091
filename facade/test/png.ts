// A real PNG encoded without any image library (tests and the product benchmark upload it).
import { crc32, deflateSync } from 'node:zlib';

/**
 * A real PNG (8-bit RGB, a colour gradient) of the given size, encoded here without any image library.
 * `noise` (0..255) adds deterministic pixel noise, so encoders cannot shrink it to almost nothing
 * (closer to a photo's thumbnail size).
 */
export function png(width: number, height: number, noise = 0): Buffer {
  let seed = 0x2545f491;
  const jitter = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return noise ? ((seed >>> 0) % (2 * noise + 1)) - noise : 0;
  };
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = clamp((x * 255) / width + jitter());
      raw[row + 2 + x * 3] = clamp((y * 255) / height + jitter());
      raw[row + 3 + x * 3] = clamp(128 + jitter());
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

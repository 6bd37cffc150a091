import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { HttpProblem } from '@shop/kit';
import { THUMB_MAX_SIDE, processImage, sniffImageType } from './image-processing.ts';

const noise = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
const rejects = (status: number) => (err: unknown) => err instanceof HttpProblem && err.status === status;

describe('sniffImageType', () => {
  it('reads JPEG, PNG and WebP magic bytes and nothing else', async () => {
    assert.equal(sniffImageType(await noise(8, 8).jpeg().toBuffer()), 'image/jpeg');
    assert.equal(sniffImageType(await noise(8, 8).png().toBuffer()), 'image/png');
    assert.equal(sniffImageType(await noise(8, 8).webp().toBuffer()), 'image/webp');
    for (const bytes of [
      Buffer.alloc(0), Buffer.from([0xff, 0xd8]), Buffer.from('\x89PNG\r\n', 'latin1'), Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'),
      Buffer.from('GIF89a', 'latin1'), Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), Buffer.from('hello.png'),
    ]) assert.equal(sniffImageType(bytes), null, JSON.stringify(bytes.toString('latin1')));
  });
});

describe('processImage', () => {
  it('answers the detected type, the displayed size and a WebP thumbnail that fits 320×320', async () => {
    const result = await processImage(await noise(1000, 500).png().toBuffer(), { maxPixels: 40_000_000 });
    assert.equal(result.contentType, 'image/png');
    assert.deepEqual([result.width, result.height], [1000, 500]);
    assert.deepEqual([result.thumb.width, result.thumb.height], [THUMB_MAX_SIDE, 160]);
    assert.equal((await sharp(result.thumb.bytes).metadata()).format, 'webp');
  });

  it('refuses a file whose bytes start like one format but are another or are cut (415)', async () => {
    const png = await noise(64, 64).png().toBuffer();
    const jpegHeadPngBody = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), png]);
    await assert.rejects(processImage(jpegHeadPngBody, { maxPixels: 1e6 }), rejects(415));
    await assert.rejects(processImage(png.subarray(0, png.length - 20), { maxPixels: 1e6 }), rejects(415));
    await assert.rejects(processImage(Buffer.from('not an image'), { maxPixels: 1e6 }), rejects(415));
  });

  it('refuses more pixels than maxPixels (413) before decoding them', async () => {
    const image = await sharp({ create: { width: 2_000, height: 1_000, channels: 3, background: '#000' } }).png().toBuffer();
    await assert.rejects(processImage(image, { maxPixels: 1_999_999 }), rejects(413));
    assert.equal((await processImage(image, { maxPixels: 2_000_000 })).width, 2_000);
  });
});

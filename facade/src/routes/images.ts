import type { FastifyReply } from 'fastify';
import { HttpProblem, Type, notFound, problemType, type App } from '@shop/kit';
import type { FacadeMetrics } from '../metrics.ts';
import { IMAGE_SIZES, ImageNotFoundError, ImageStoreError, type ImageSize } from '../repositories/images.ts';
import type { ImageAnswer, ImageService } from '../services/images.ts';

const tags = ['images'];

/** An image id is a new uuid for every upload and keys are never reused: the bytes behind a URL never change. */
export const IMAGE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

const Params = Type.Object({ itemId: Type.String({ format: 'uuid' }), imageId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const Query = Type.Object({
  size: Type.Unsafe<ImageSize>({ type: 'string', enum: [...IMAGE_SIZES], default: 'original', description: 'original (as uploaded) or thumb (image/webp)' }),
}, { additionalProperties: false });

interface ImageRouteRequest {
  params: { itemId: string; imageId: string };
  query: { size: ImageSize };
  headers: Record<string, string | string[] | undefined>;
}

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);

export async function imageRoutes(app: App, { images, metrics }: { images: ImageService; metrics: FacadeMetrics }): Promise<void> {
  const schema = {
    tags,
    summary: 'Image bytes, streamed (ETag, If-None-Match, one byte Range; several ranges are answered with the whole image)',
    params: Params,
    querystring: Query,
  };

  const handler = (method: 'GET' | 'HEAD') => async (request: ImageRouteRequest, reply: FastifyReply) => {
    let answer: ImageAnswer;
    try {
      answer = await images.serve({
        itemId: request.params.itemId.toLowerCase(), imageId: request.params.imageId.toLowerCase(), size: request.query.size, method,
        ifNoneMatch: header(request.headers['if-none-match']), ifModifiedSince: header(request.headers['if-modified-since']),
        range: header(request.headers.range), ifRange: header(request.headers['if-range']),
      });
    } catch (err) {
      if (err instanceof ImageNotFoundError) throw notFound(`No image ${request.params.imageId} (${request.query.size}) of item ${request.params.itemId}`);
      if (err instanceof ImageStoreError) {
        reply.log.warn({ err }, 'image storage failed');
        throw new HttpProblem(503, 'the image storage is unavailable; try again shortly', { type: problemType('unavailable'), headers: { 'retry-after': '1' } });
      }
      throw err;
    }
    const { stat } = answer;
    reply.header('etag', stat.etag)
      .header('last-modified', stat.lastModified.toUTCString())
      .header('cache-control', IMAGE_CACHE_CONTROL)
      .header('accept-ranges', 'bytes')
      .header('x-content-type-options', 'nosniff');
    switch (answer.status) {
      case 304:
        return reply.code(304).send();
      case 416:
        throw new HttpProblem(416, `the range is outside the image (${stat.size} bytes)`, {
          type: problemType('range-not-satisfiable'), title: 'Range Not Satisfiable',
          headers: { 'content-range': `bytes */${stat.size}`, 'accept-ranges': 'bytes' },
        });
      case 206: {
        const length = answer.end - answer.start + 1;
        metrics.imageBytes.inc({ size: request.query.size }, length);
        return reply.code(206).type(stat.contentType)
          .header('content-range', `bytes ${answer.start}-${answer.end}/${stat.size}`)
          .header('content-length', String(length))
          .send(answer.body);
      }
      default:
        reply.code(200).type(stat.contentType).header('content-length', String(stat.size));
        if (method === 'HEAD') return reply.send();
        metrics.imageBytes.inc({ size: request.query.size }, stat.size);
        return reply.send(answer.body ?? '');
    }
  };

  app.get('/api/images/:itemId/:imageId', { schema, exposeHeadRoute: false }, handler('GET'));
  app.head('/api/images/:itemId/:imageId', { schema: { ...schema, hide: true } }, handler('HEAD'));
}

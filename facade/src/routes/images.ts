import type { FastifyReply } from 'fastify';
import { HttpProblem, Type, noContent, notFound, problem, problemType, type App } from '@shop/kit';
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

const Headers = Type.Object({
  'if-none-match': Type.Optional(Type.String({ description: 'ETags (or *): 304 when one matches' })),
  'if-modified-since': Type.Optional(Type.String({ description: 'an HTTP date: 304 when the image is not newer' })),
  range: Type.Optional(Type.String({ description: 'one byte range (bytes=a-b, a-, -n) → 206; several → 200 with the whole image' })),
  'if-range': Type.Optional(Type.String({ description: 'the ETag the range is for; another one → 200 with the whole image' })),
});

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const bytes = Object.fromEntries(IMAGE_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]));
const CACHING = {
  etag: { type: 'string', description: 'strong ETag of these bytes' },
  'last-modified': { type: 'string' },
  'cache-control': { type: 'string', description: IMAGE_CACHE_CONTROL },
  'accept-ranges': { type: 'string', enum: ['bytes'] },
};

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
    headers: Headers,
    response: {
      200: { description: 'The image (JPEG, PNG or WebP as uploaded; thumb is WebP)', headers: CACHING, content: bytes },
      206: { description: 'One byte range of the image', headers: { ...CACHING, 'content-range': { type: 'string' } }, content: bytes },
      304: noContent('Not modified (If-None-Match or If-Modified-Since)', CACHING),
      416: problem(416, 'The range is outside the image', { 'content-range': { type: 'string', description: 'bytes */<size>' } }),
      503: problem(503, 'The image storage is unavailable', { 'retry-after': { type: 'string' } }),
    },
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

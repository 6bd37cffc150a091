import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { HttpProblem, badRequest, noContent, problemType, problems, requireAuth, unauthorized, withHeaders, type App } from '@shop/kit';
import type { Identity } from '@shop/contracts';
import type { ImageService } from '../services/images.ts';
import { IdParams, ImageParams, UploadBody, UploadedImageView } from './schemas.ts';

const tags = ['images'];

const caller = (request: FastifyRequest): Identity => {
  if (!request.identity) throw unauthorized();
  return request.identity;
};

/** Multipart parser errors (codes of @fastify/multipart and busboy) as problems. */
function multipartProblem(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'FST_FILES_LIMIT') return badRequest('Send exactly one image per request (one file part)');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return badRequest('Too many form fields: send one file part');
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new HttpProblem(413, 'The file is too large', { type: problemType('image-too-large') });
  if (err instanceof Error && /multipart|boundary|part terminated/i.test(err.message) && !(err instanceof HttpProblem)) {
    return badRequest(`The multipart body is malformed: ${err.message}`);
  }
  return err;
}

/**
 * `POST /api/items/:id/images` (multipart/form-data, one file part of any field name) and
 * `DELETE /api/items/:id/images/:imageId`. The multipart parser is registered here only, with explicit limits.
 */
export async function imageRoutes(app: App, { images }: { images: ImageService }): Promise<void> {
  await app.register(multipart, {
    limits: { fileSize: images.limits.maxBytes, files: 1, fields: 10, fieldSize: 1_024, parts: 11, headerPairs: 100 },
  });
  const writers = requireAuth('seller', 'admin');

  app.post('/api/items/:id/images', {
    schema: {
      tags, params: IdParams, body: UploadBody, consumes: ['multipart/form-data'],
      response: {
        201: withHeaders(UploadedImageView, { etag: { type: 'string', description: 'the new item version' }, location: { type: 'string' } }),
        ...problems([409, 'The item has 20 images already'], [413, 'The file or its pixel count is over the limit'], [415, 'Not multipart, or not a whole JPEG/PNG/WebP']),
      },
      summary: 'Add an image (owner seller, admin): multipart/form-data with one JPEG, PNG or WebP file',
      description: `One file part (any field name). The type is detected from the bytes; the declared type and the file name are ignored. `
        + `At most ${images.limits.maxBytes} bytes (413), ${images.limits.maxPixels} pixels (413) and 20 images per item (409); `
        + 'anything that is not a whole JPEG/PNG/WebP is a 415. Bumps the item version (the new one is in ETag).',
    },
    preValidation: writers,
  }, async (request, reply) => {
    const identity = caller(request);
    // Everything that needs no body first, so a refused upload is not read at all.
    await images.assertCanAdd(identity, request.params.id);
    if (!request.isMultipart()) {
      throw new HttpProblem(415, 'Send the image as multipart/form-data with one file part', { type: problemType('unsupported-media-type') });
    }
    let upload: Buffer | undefined;
    try {
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue; // other fields are ignored
        upload = await images.readUpload(part.file);
      }
    } catch (err) {
      throw multipartProblem(err);
    }
    if (!upload) throw badRequest('The form has no file part');
    const { image, itemVersion } = await images.add(identity, request.params.id, upload);
    return reply.code(201).header('etag', `"${itemVersion}"`).header('location', image.url).send(image);
  });

  app.delete('/api/items/:id/images/:imageId', {
    schema: {
      tags, params: ImageParams, summary: 'Delete an image (owner seller, admin); bumps the item version (the new one is in ETag)',
      response: { 204: noContent('Deleted', { etag: { type: 'string', description: 'the new item version' } }) },
    },
    preValidation: writers,
  }, async (request, reply) => {
    const version = await images.delete(caller(request), request.params.id, request.params.imageId);
    return reply.code(204).header('etag', `"${version}"`).send();
  });
}

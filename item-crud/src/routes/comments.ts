import type { FastifyRequest } from 'fastify';
import { type App, badRequest, noContent, problem, requireAuth, trimBodyFields, unauthorized, withHeaders } from '@shop/kit';
import type { Identity } from '@shop/contracts';
import type { CommentService } from '../services/comments.ts';
import { CommentBody, CommentPageView, CommentView, CommentsQuery, IdParams, PatchCommentBody } from './schemas.ts';

const tags = ['comments'];

const caller = (request: FastifyRequest): Identity => {
  if (!request.identity) throw unauthorized();
  return request.identity;
};

/** The access token itself (already verified by the auth plugin), for the sso's /api/auth/me. */
const accessToken = (request: FastifyRequest): string => request.headers.authorization!.trim().replace(/^Bearer\s+/i, '');

/** Before validation: the JSON types, with messages a reviewer understands. */
async function prepareCommentBody(request: FastifyRequest): Promise<void> {
  const body = request.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const errors = [];
  if ('rating' in body && typeof body.rating !== 'number') errors.push({ location: 'body', pointer: '/rating', message: 'must be a whole number from 1 to 5' });
  if ('text' in body && typeof body.text !== 'string') errors.push({ location: 'body', pointer: '/text', message: 'must be a string' });
  if (errors.length > 0) throw badRequest(`The body is invalid: ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`, errors);
}

/** After validation (1..2000 characters as sent, not blank): the text is stored trimmed. */
const trimText = trimBodyFields('text');

export async function commentRoutes(app: App, { comments }: { comments: CommentService }): Promise<void> {
  const signedIn = requireAuth();

  app.get('/api/items/:id/comments', {
    schema: {
      tags, summary: "An item's reviews, newest first, with its rating", params: IdParams, querystring: CommentsQuery,
      response: { 200: CommentPageView },
    },
  }, async (request, reply) => {
    const page = await comments.list(request.params.id, request.query, request.identity);
    return reply.header('cache-control', 'no-cache').send(page);
  });

  app.post('/api/items/:id/comments', {
    schema: {
      tags, params: IdParams, body: CommentBody,
      response: { 200: CommentView, 201: withHeaders(CommentView, { location: { type: 'string' } }), 403: problem(403, "A seller may not review their own item") },
      summary: "Review an item (any signed-in user but the item's seller): 201 for a new review; the caller's existing review is changed instead (200)",
    },
    preValidation: [signedIn, prepareCommentBody],
    preHandler: trimText,
  }, async (request, reply) => {
    const { comment, created } = await comments.upsert(caller(request), accessToken(request), request.params.id, request.body);
    if (created) reply.code(201).header('location', `/api/comments/${comment.id}`);
    return reply.send(comment);
  });

  app.patch('/api/comments/:id', {
    schema: { tags, summary: 'Change your review (author)', params: IdParams, body: PatchCommentBody, response: { 200: CommentView, 403: problem(403, 'Only the author may change a review') } },
    preValidation: [signedIn, prepareCommentBody],
    preHandler: trimText,
  }, async (request) => comments.update(caller(request), request.params.id, request.body));

  app.delete('/api/comments/:id', {
    schema: { tags, summary: 'Delete a review (author, admin)', params: IdParams, response: { 204: noContent('Deleted'), 403: problem(403, 'Only the author or an admin may delete a review') } },
    preValidation: signedIn,
  }, async (request, reply) => {
    await comments.delete(caller(request), request.params.id);
    return reply.code(204).send();
  });
}

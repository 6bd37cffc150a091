import type { FastifyRequest } from 'fastify';
import { badRequest, noContent, notFound, problems, requireAuth, unauthorized, type App } from '@shop/kit';
import type { NotificationService } from '../services/notifications.ts';
import { DEFAULT_PAGE, IdParams, ListQuery, NotificationPage } from './schemas.ts';

const tags = ['notifications'];

/** The verified caller's id (after requireAuth): a person only ever sees their own notifications. */
const owner = (request: FastifyRequest): string => {
  if (!request.identity) throw unauthorized();
  return request.identity.id;
};

export async function notificationRoutes(app: App, { notifications }: { notifications: NotificationService }): Promise<void> {
  const person = requireAuth();

  app.get('/api/notifications', {
    schema: {
      tags, summary: "The caller's notifications about their orders, newest first",
      querystring: ListQuery,
      response: { 200: NotificationPage, ...problems([400, 'Bad query (unread not true/false, limit out of range, a cursor of another shape)']) },
    },
    preValidation: person,
  }, async (request, reply) => {
    const { unread, limit = DEFAULT_PAGE, cursor } = request.query;
    const page = await notifications.list(owner(request), { unread, limit, cursor });
    if (!page) throw badRequest('cursor: not a cursor of this list');
    return reply.header('cache-control', 'no-store').send(page);
  });

  app.post('/api/notifications/:id/read', {
    schema: {
      tags, summary: 'Mark one of the caller\'s notifications read (again: nothing changes)',
      params: IdParams,
      response: { 204: noContent('Read'), ...problems([404, 'No such notification of the caller']) },
    },
    preValidation: person,
  }, async (request, reply) => {
    if (!(await notifications.markRead(owner(request), request.params.id.toLowerCase()))) throw notFound('No such notification');
    return reply.code(204).send();
  });
}

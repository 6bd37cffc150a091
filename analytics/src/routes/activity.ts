import { anonymousIdFrom } from '@shop/contracts';
import { badRequest, type App } from '@shop/kit';
import { MAX_BODY_BYTES, type Rejected } from '../services/collector.ts';
import type { CollectorService } from '../services/collector-service.ts';
import { CollectAnswer, CollectBody, CollectHeaders } from './schemas.ts';

export async function activityRoutes(app: App, { collector }: { collector: CollectorService }): Promise<void> {
  // navigator.sendBeacon sends a string as text/plain: the same JSON body (this plugin's own parser, this route only).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(badRequest('a text/plain body must be the same JSON as application/json: {"events": [...]}'), undefined);
    }
  });

  app.post('/api/activity', {
    bodyLimit: MAX_BODY_BYTES,
    schema: {
      tags: ['activity'],
      summary: 'Collect client events (search_click, page_view), batched; also as text/plain for navigator.sendBeacon',
      description: 'Token optional (it gives the events their userId). Each event is accepted or rejected on its own; '
        + 'events older than 24 h or from the future are rejected with a reason. The client\'s IP address is never stored. '
        + 'The same JSON is also taken as text/plain (what navigator.sendBeacon sends for a string).',
      headers: CollectHeaders,
      body: CollectBody,
      response: { 202: CollectAnswer },
    },
  }, async (request, reply) => {
    const identity = request.identity;
    const answer: { accepted: number; rejected: Rejected[] } = await collector.collect(request.body.events, {
      userId: identity && identity.role !== 'service' ? identity.id : undefined,
      anonymousId: anonymousIdFrom(request.headers['x-anonymous-id']),
    });
    return reply.code(202).header('cache-control', 'no-store').send(answer);
  });
}

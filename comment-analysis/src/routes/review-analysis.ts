import { notFound, problems, requireAuth, type App } from '@shop/kit';
import type { ReviewService } from '../services/reviews.ts';
import { CommentAnalysis, CommentParams, ItemParams, ItemSummary } from './schemas.ts';

const tags = ['review-analysis'];

export async function reviewAnalysisRoutes(app: App, { reviews }: { reviews: ReviewService }): Promise<void> {
  app.get('/api/review-analysis/items/:itemId', {
    schema: {
      tags, summary: "What an item's reviews say: counts per sentiment, mean score, aspects praised and criticized (public)",
      params: ItemParams,
      response: { 200: ItemSummary, ...problems([400, 'itemId is not a uuid']) },
    },
  }, async (request, reply) => {
    const summary = await reviews.summary(request.params.itemId.toLowerCase());
    return reply.header('cache-control', 'public, max-age=5').send(summary);
  });

  app.get('/api/review-analysis/comments/:commentId', {
    schema: {
      tags, summary: "One review's analysis: language, sentiment, score, aspects and moderation flags (admin)",
      params: CommentParams,
      response: { 200: CommentAnalysis, ...problems([400, 'commentId is not a uuid'], 401, 403, [404, 'No live review with this id has been analyzed']) },
    },
    preValidation: requireAuth('admin'),
  }, async (request, reply) => {
    const found = await reviews.comment(request.params.commentId.toLowerCase());
    if (!found) throw notFound(`No analyzed review with id ${request.params.commentId}`);
    return reply.header('cache-control', 'no-store').send(found);
  });
}

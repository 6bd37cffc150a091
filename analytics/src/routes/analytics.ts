import type { FastifyRequest } from 'fastify';
import { HttpProblem, problems, requireAuth, unauthorized, type App } from '@shop/kit';
import type { Interval, ProductMetric, QueryKind } from '../repositories/reports.ts';
import { PeriodError, period, type ReportService } from '../services/reports.ts';
import {
  IntervalQuery, Overview, PeriodQuery, PopularQueries, PopularQuery, Queries, QueriesQuery, ReviewAspects, ReviewAspectsQuery, Sales, SellerQuery, SellerReport, TopProducts,
  TopProductsQuery, Users,
} from './schemas.ts';

const tags = ['analytics'];
const BAD_RANGE = [400, 'Bad query: from not before to, a period longer than 366 days, a value of another shape'] as [number, string];

/** The period of a request (400 problem+json on a bad range). */
function periodOf(query: { from?: string; to?: string }, defaultDays: number) {
  try {
    return period(query, Date.now(), defaultDays);
  } catch (err) {
    if (err instanceof PeriodError) {
      throw new HttpProblem(400, err.message, { type: 'urn:shop:problem:validation', extensions: { errors: [{ location: 'querystring', pointer: '/from', message: err.message }] } });
    }
    throw err;
  }
}

const caller = (request: FastifyRequest): string => {
  if (!request.identity) throw unauthorized();
  return request.identity.id;
};

export async function analyticsRoutes(app: App, { reports }: { reports: ReportService }): Promise<void> {
  const admin = requireAuth('admin');
  const seller = requireAuth('seller');
  const noStore = { 'cache-control': 'no-store' };

  app.get('/api/analytics/overview', {
    schema: {
      tags, summary: 'Admin: totals of the period (views, searches, carts, purchases, orders, revenue, registrations, active shoppers), rates and growth against the previous period of the same length (default: the last 7 days)',
      querystring: PeriodQuery, response: { 200: Overview, ...problems(BAD_RANGE) },
    },
    preValidation: admin,
  }, async (request, reply) => reply.headers(noStore).send(await reports.overview(periodOf(request.query, 7))));

  app.get('/api/analytics/products/top', {
    schema: {
      tags, summary: 'Admin: the items with the most views, add-to-carts, purchases (units) or revenue in the period, optionally of one category (default: the last 7 days)',
      querystring: TopProductsQuery, response: { 200: TopProducts, ...problems(BAD_RANGE) },
    },
    preValidation: admin,
  }, async (request, reply) => {
    const q = request.query;
    return reply.headers(noStore).send(await reports.topProducts(periodOf(q, 7), (q.metric ?? 'views') as ProductMetric, { category: q.category, limit: q.limit ?? 20 }));
  });

  app.get('/api/analytics/search/queries', {
    schema: {
      tags, summary: 'Admin: normalized text queries by searches (top), by searches that found nothing (no-results) or by the lowest click-through rate (low-ctr), with their rates (default: the last 7 days)',
      querystring: QueriesQuery, response: { 200: Queries, ...problems(BAD_RANGE) },
    },
    preValidation: admin,
  }, async (request, reply) => {
    const q = request.query;
    return reply.headers(noStore).send(await reports.queries(periodOf(q, 7), (q.kind ?? 'top') as QueryKind, { limit: q.limit ?? 20, minSearches: q.minSearches ?? 3 }));
  });

  app.get('/api/analytics/sales', {
    schema: {
      tags, summary: 'Admin: orders and revenue (paid orders) per day or week of the period, growth per step and against the previous period (default: the last 30 days)',
      querystring: IntervalQuery, response: { 200: Sales, ...problems(BAD_RANGE) },
    },
    preValidation: admin,
  }, async (request, reply) => reply.headers(noStore).send(await reports.sales(periodOf(request.query, 30), (request.query.interval ?? 'day') as Interval)));

  app.get('/api/analytics/users', {
    schema: {
      tags, summary: 'Admin: registrations and active shoppers (signed-in users and anonymous ids) per day or week, growth against the previous period (default: the last 30 days)',
      querystring: IntervalQuery, response: { 200: Users, ...problems(BAD_RANGE) },
    },
    preValidation: admin,
  }, async (request, reply) => reply.headers(noStore).send(await reports.users(periodOf(request.query, 30), (request.query.interval ?? 'day') as Interval)));

  app.get('/api/analytics/reviews/aspects', {
    schema: {
      tags, summary: "Admin: the most criticized aspects per category (size, quality, delivery, …) over the items' current review summaries from comment-analysis — negative and positive mentions, the negative share — not a period but the state now",
      querystring: ReviewAspectsQuery, response: { 200: ReviewAspects, ...problems([400, 'Bad query: a category that is not a slug, a limit outside 1..50, an unknown parameter']) },
    },
    preValidation: admin,
  }, async (request, reply) => reply.headers(noStore).send(await reports.criticizedAspects({ category: request.query.category, limit: request.query.limit ?? 5 })));

  app.get('/api/analytics/popular-queries', {
    schema: {
      tags, summary: "Public: popular queries for search's suggestions — each shopper counts once per day (a client repeating a query adds nothing), a day's weight halves every 7 days (the last 60 days), at least 2 different shoppers, only queries that found something",
      querystring: PopularQuery, response: { 200: PopularQueries },
    },
  }, async (request, reply) => reply.header('cache-control', 'public, max-age=60').send({ queries: await reports.popularQueries(request.query.limit ?? 1_000) }));

  app.get('/api/analytics/sellers/me', {
    schema: {
      tags, summary: "Seller: views, add-to-carts, purchases and revenue of the caller's own items in the period, growth against the previous period (default: the last 7 days)",
      querystring: SellerQuery, response: { 200: SellerReport, ...problems(BAD_RANGE) },
    },
    preValidation: seller,
  }, async (request, reply) => reply.headers(noStore).send(await reports.seller(periodOf(request.query, 7), caller(request), request.query.limit ?? 20)));
}

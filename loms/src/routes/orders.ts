import { createHash } from 'node:crypto';
import { HttpProblem, PROBLEM_CONTENT_TYPE, problem, problemType, problems, requireAuth, unauthorized, type App } from '@shop/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OrderRepository } from '../repositories/orders.ts';
import { UpstreamError } from '../repositories/upstreams.ts';
import { CheckoutService, type CheckoutInput } from '../services/checkout.ts';
import { CheckoutBody, IdempotencyHeaders, OrderView, Placed, UidParams } from './schemas.ts';
import type { Action, LifecycleService } from '../services/lifecycle.ts';

const tags = ['orders'];

const caller = (request: FastifyRequest): string => {
  if (!request.identity) throw unauthorized();
  return request.identity.id;
};

/** The request's fingerprint for the Idempotency-Key: the body with the card number cut to its last four digits and no CVC (never stored). */
export function fingerprint(body: CheckoutInput): string {
  const { number, expMonth, expYear } = body.payment.card;
  const safe = { delivery: body.delivery, payment: { provider: body.payment.provider, card: { last4: number.slice(-4), length: number.length, expMonth, expYear } } };
  return createHash('sha256').update(JSON.stringify(safe)).digest('hex');
}

export async function orderRoutes(app: App, { checkout, orders, lifecycle, idempotencyTtlSeconds }: { checkout: CheckoutService; orders: OrderRepository; lifecycle: LifecycleService; idempotencyTtlSeconds: number }): Promise<void> {
  app.post('/api/orders', {
    schema: {
      tags, summary: "Place an order from the caller's cart at current prices, paid with a card (sandbox provider)",
      headers: IdempotencyHeaders, body: CheckoutBody,
      response: {
        201: Placed,
        ...problems(
          [400, 'Missing or bad Idempotency-Key, bad body, a card failing the Luhn check or expired (card-expired), an empty cart (empty-cart), more than 100 units'],
          [402, 'The payment was refused (payment-declined: declined or insufficient funds); nothing stays reserved'],
          [409, 'Not enough stock (out-of-stock, naming the lines), items no longer sold, or a request with this key is still running'],
          [422, 'The Idempotency-Key was used with another body'],
        ),
        503: problem(503, 'The cart, item-crud or the payment provider is unavailable'),
      },
    },
    preValidation: requireAuth('customer', 'seller', 'admin'),
  }, async (request, typedReply) => {
    // Stored answers are replayed as they were (201 or a problem): the reply is used untyped for them.
    const reply = typedReply as unknown as FastifyReply;
    const userId = caller(request);
    const key = request.headers['idempotency-key'];
    const body = request.body as CheckoutInput;
    CheckoutService.checkCard(body.payment.card);
    const hash = fingerprint(body);
    const claimed = await orders.claimKey(userId, key, hash, idempotencyTtlSeconds);
    if (claimed !== true) {
      if (claimed.request_hash !== hash) throw new HttpProblem(422, 'This Idempotency-Key was used with another request body', { type: problemType('idempotency-key-reused') });
      if (claimed.state === 'running') throw new HttpProblem(409, 'A request with this Idempotency-Key is still being processed', { type: problemType('idempotency-key-in-use'), headers: { 'retry-after': '1' } });
      reply.header('idempotent-replayed', 'true');
      if (claimed.status_code! >= 400) return reply.code(claimed.status_code!).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(claimed.response));
      return reply.code(claimed.status_code!).send(claimed.response);
    }
    let answer;
    try {
      answer = await checkout.checkout(userId, body, request.id, key);
    } catch (err) {
      await orders.releaseKey(userId, key).catch(() => undefined);
      if (err instanceof UpstreamError) {
        request.log.warn({ service: err.service, status: err.status, err: err.message }, 'upstream failed');
        throw new HttpProblem(503, `${err.service} is unavailable; try again with the same Idempotency-Key`, { type: problemType('upstream-unavailable'), headers: { 'retry-after': '1' } });
      }
      throw err;
    }
    await orders.completeKey(userId, key, answer.statusCode, answer.body);
    if (answer.statusCode >= 400) return reply.code(answer.statusCode).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(answer.body));
    return reply.code(201).send(answer.body);
  });

  const actions: [Action, string, ReturnType<typeof requireAuth>][] = [
    ['cancel', 'Cancel an order (its customer before shipping, an admin before delivery); a paid order is refunded and its stock returned', requireAuth('customer', 'seller', 'admin')],
    ['ship', 'Mark a paid order shipped (admin)', requireAuth('admin')],
    ['deliver', 'Mark a shipped order delivered (admin)', requireAuth('admin')],
  ];
  for (const [action, summary, guard] of actions) {
    app.post(`/api/orders/:uid/${action}`, {
      schema: {
        tags, summary, params: UidParams,
        response: {
          200: OrderView,
          ...problems([404, 'No such order (or another customer\'s)'], [409, 'The order\'s status does not allow this (illegal-transition, with currentStatus)']),
          503: problem(503, 'item-crud or the payment provider is unavailable (nothing changed; try again)'),
        },
      },
      preValidation: guard,
    }, async (request) => {
      if (!request.identity) throw unauthorized();
      try {
        return await lifecycle.act(request.params.uid, action, request.identity, request.id);
      } catch (err) {
        if (err instanceof UpstreamError) throw new HttpProblem(503, `${err.service} is unavailable; try again`, { type: problemType('upstream-unavailable'), headers: { 'retry-after': '1' } });
        throw err;
      }
    });
  }
}

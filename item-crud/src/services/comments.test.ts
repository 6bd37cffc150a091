import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Identity } from '@shop/contracts';
import type { CommentRepository, CommentRecord, NewComment } from '../repositories/comments.ts';
import type { ItemRepository } from '../repositories/items.ts';
import type { OutboxWriter } from '../repositories/outbox.ts';
import { CommentService, FALLBACK_AUTHOR_NAME } from './comments.ts';

/** A CommentService over in-memory fakes: enough to see which author name a new review gets. */
function setup(me: (token: string) => Promise<{ id: string; name: string }>) {
  const itemId = randomUUID();
  const sellerId = randomUUID();
  const inserted: NewComment[] = [];
  const now = new Date();
  const items = {
    transaction: <T>(fn: (tx: unknown) => Promise<T>) => fn({}),
    lock: async () => ({ id: itemId, sellerId, status: 'active' }),
    bumpVersion: async () => ({
      id: itemId, article: 1, sellerId, name: 'n', description: '', brand: 'b', categorySlug: 'laptops', price: { toFixed: () => '1.00' }, currency: 'RUB',
      stock: 1, attributes: {}, status: 'active', version: 2, ratingSum: 5, ratingCount: 1, createdAt: now, updatedAt: now, images: [],
    }),
  } as unknown as ItemRepository;
  const comments = {
    findByAuthor: async () => null,
    insert: async (_tx: unknown, c: NewComment): Promise<CommentRecord> => {
      inserted.push(c);
      return { id: randomUUID(), ...c, createdAt: now, updatedAt: now };
    },
  } as unknown as CommentRepository;
  let calls = 0;
  const service = new CommentService({
    comments, items, outbox: { add: async () => undefined } as unknown as OutboxWriter, log: { warn() {} },
    profiles: { me: (token) => { calls++; return me(token); } },
  });
  return { service, itemId, inserted, calls: () => calls };
}

const customer = (): Identity => ({ id: randomUUID(), role: 'customer', tokenId: randomUUID(), scopes: [] });

describe('review author names', () => {
  it('takes the name from the sso with the caller token, once per user while cached', async () => {
    const user = customer();
    const { service, itemId, inserted, calls } = setup(async (token) => {
      assert.equal(token, 'the-token');
      return { id: user.id, name: '  Анна  ' };
    });
    await service.upsert(user, 'the-token', itemId, { rating: 5, text: 'x' });
    await service.upsert(user, 'the-token', itemId, { rating: 4, text: 'y' });
    assert.deepEqual(inserted.map((c) => c.authorName), ['Анна', 'Анна']);
    assert.equal(calls(), 1);
  });

  it(`falls back to "${FALLBACK_AUTHOR_NAME}" when the sso fails or answers for someone else`, async () => {
    for (const me of [
      async () => { throw new Error('sso down'); },
      async () => ({ id: randomUUID(), name: 'Someone else' }),
      async () => ({ id: '', name: '' }),
    ]) {
      const { service, itemId, inserted } = setup(me);
      await service.upsert(customer(), 't', itemId, { rating: 5, text: 'x' });
      assert.equal(inserted[0]!.authorName, FALLBACK_AUTHOR_NAME);
    }
  });
});

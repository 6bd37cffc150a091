import { forbidden, notFound } from '@shop/kit';
import { ratingSummary, type CommentEventType, type Identity, type RatingSummary } from '@shop/contracts';
import type { CommentRecord, CommentRepository } from '../repositories/comments.ts';
import type { ItemRecord, ItemRepository, Tx } from '../repositories/items.ts';
import type { OutboxWriter } from '../repositories/outbox.ts';
import type { ProfileClient } from '../repositories/profiles.ts';
import { commentOutboxRowFor, outboxRowFor } from './events.ts';
import { isVisible } from './items.ts';
import { toCommentView, type CommentView } from './views.ts';

/** Review text, after trimming. */
export const COMMENT_TEXT_MIN = 1;
export const COMMENT_TEXT_MAX = 2_000;
export const COMMENT_PAGE_SIZE_DEFAULT = 20;
export const COMMENT_PAGE_SIZE_MAX = 50;
/** The author name when the sso cannot tell it. */
export const FALLBACK_AUTHOR_NAME = 'Customer';
/** Names from the sso are kept this long per user (they change rarely; a review stores the name it was written with). */
const NAME_TTL_MS = 5 * 60_000;
const NAME_CACHE_SIZE = 10_000;

export interface CommentPage {
  total: number;
  page: number;
  size: number;
  items: CommentView[];
  rating: RatingSummary;
}

export interface CommentServiceDeps {
  comments: CommentRepository;
  items: ItemRepository;
  outbox: OutboxWriter;
  profiles: Pick<ProfileClient, 'me'>;
  log: { warn(obj: object, msg: string): void };
}

/**
 * Reviews: one per user per item (a second POST changes it). Every change, in one transaction under the
 * item's row lock: the review, the item's rating_sum/rating_count by SQL increments, the item version + 1
 * with its `item.updated` event (the ETL re-indexes the rating), and a `comment-events` event.
 */
export class CommentService {
  readonly #d: CommentServiceDeps;
  readonly #names = new Map<string, { name: string; until: number }>();
  constructor(deps: CommentServiceDeps) {
    this.#d = deps;
  }

  async list(itemId: string, query: { page: number; size: number }, viewer: Identity | null): Promise<CommentPage> {
    const item = await this.#d.items.findById(itemId);
    if (!item || !isVisible(item, viewer)) throw notFound(`No item with id ${itemId}`);
    const { rows, total } = await this.#d.comments.page(itemId, (query.page - 1) * query.size, query.size);
    return { total, page: query.page, size: query.size, items: rows.map(toCommentView), rating: ratingSummary(item.ratingSum, item.ratingCount) };
  }

  /** Creates the caller's review of the item, or changes it when there is one: `created` tells which. */
  async upsert(identity: Identity, accessToken: string, itemId: string, input: { rating: number; text: string }): Promise<{ comment: CommentView; created: boolean }> {
    const authorName = await this.#authorName(identity, accessToken);
    return this.#d.items.transaction(async (tx) => {
      const item = await this.#d.items.lock(tx, itemId);
      if (!item || !isVisible(item, identity)) throw notFound(`No item with id ${itemId}`);
      if (item.sellerId === identity.id) throw forbidden('A seller may not review their own item');
      const existing = await this.#d.comments.findByAuthor(tx, itemId, identity.id);
      if (existing) {
        const comment = await this.#d.comments.update(tx, existing.id, { rating: input.rating, text: input.text, authorName });
        await this.#commit(tx, 'comment.updated', comment, { sum: input.rating - existing.rating, count: 0 });
        return { comment: toCommentView(comment), created: false };
      }
      const comment = await this.#d.comments.insert(tx, { itemId, authorId: identity.id, authorName, rating: input.rating, text: input.text });
      await this.#commit(tx, 'comment.created', comment, { sum: input.rating, count: 1 });
      return { comment: toCommentView(comment), created: true };
    });
  }

  /** The author changes their review (rating and/or text). */
  async update(identity: Identity, id: string, patch: { rating?: number; text?: string }): Promise<CommentView> {
    const found = await this.#d.comments.findById(id);
    if (!found) throw notFound(`No comment with id ${id}`);
    if (found.authorId !== identity.id) throw forbidden('Only the author may change a review');
    return this.#d.items.transaction(async (tx) => {
      const before = await this.#lockedComment(tx, found);
      const comment = await this.#d.comments.update(tx, id, patch);
      await this.#commit(tx, 'comment.updated', comment, { sum: comment.rating - before.rating, count: 0 });
      return toCommentView(comment);
    });
  }

  /** The author or an admin removes a review. */
  async delete(identity: Identity, id: string): Promise<void> {
    const found = await this.#d.comments.findById(id);
    if (!found) throw notFound(`No comment with id ${id}`);
    if (found.authorId !== identity.id && identity.role !== 'admin') throw forbidden('Only the author or an admin may delete a review');
    await this.#d.items.transaction(async (tx) => {
      const before = await this.#lockedComment(tx, found);
      await this.#d.comments.delete(tx, id);
      await this.#commit(tx, 'comment.deleted', before, { sum: -before.rating, count: -1 });
    });
  }

  /** Takes the item's row lock, then reads the review again (it may have changed or gone meanwhile). */
  async #lockedComment(tx: Tx, found: CommentRecord): Promise<CommentRecord> {
    const item = await this.#d.items.lock(tx, found.itemId);
    const current = item ? await this.#d.comments.findByIdInTx(tx, found.id) : null;
    if (!current) throw notFound(`No comment with id ${found.id}`);
    return current;
  }

  /** The rating increments, version + 1, `item.updated` and the comment event, inside the caller's transaction. */
  async #commit(tx: Tx, type: CommentEventType, comment: CommentRecord, delta: { sum: number; count: number }): Promise<ItemRecord> {
    const item = await this.#d.items.bumpVersion(tx, comment.itemId, { ratingSum: delta.sum, ratingCount: delta.count });
    if (!item) throw notFound(`No item with id ${comment.itemId}`); // not reached: the caller holds the row lock
    await this.#d.outbox.add(tx, outboxRowFor('item.updated', item).row);
    await this.#d.outbox.add(tx, commentOutboxRowFor(type, comment, item).row);
    return item;
  }

  /** Access tokens carry no name: the sso's `/api/auth/me` with the caller's token, cached; else "Customer". */
  async #authorName(identity: Identity, accessToken: string): Promise<string> {
    const cached = this.#names.get(identity.id);
    if (cached && cached.until > Date.now()) return cached.name;
    try {
      const me = await this.#d.profiles.me(accessToken);
      if (me.id !== identity.id) throw new Error('the sso answered for another user');
      const name = me.name.trim().slice(0, 100) || FALLBACK_AUTHOR_NAME;
      if (this.#names.size >= NAME_CACHE_SIZE) this.#names.delete(this.#names.keys().next().value!);
      this.#names.set(identity.id, { name, until: Date.now() + NAME_TTL_MS });
      return name;
    } catch (err) {
      this.#d.log.warn({ err, userId: identity.id }, 'author name unavailable from the sso; using the fallback');
      return FALLBACK_AUTHOR_NAME;
    }
  }
}

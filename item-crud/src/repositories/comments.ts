import type { Comment } from '@shop/prisma/shop';
import type { Db } from '../db.ts';
import type { Tx } from './items.ts';

export type CommentRecord = Comment;

export interface NewComment {
  itemId: string;
  authorId: string;
  authorName: string;
  rating: number;
  text: string;
}

/** Reviews (`comments`): one per (item, author), enforced by a unique index. */
export class CommentRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  findById(id: string): Promise<CommentRecord | null> {
    return this.#db.comment.findUnique({ where: { id } });
  }

  /** The author's review of the item, read inside the transaction that holds the item's row lock. */
  findByAuthor(tx: Tx, itemId: string, authorId: string): Promise<CommentRecord | null> {
    return tx.comment.findUnique({ where: { itemId_authorId: { itemId, authorId } } });
  }

  findByIdInTx(tx: Tx, id: string): Promise<CommentRecord | null> {
    return tx.comment.findUnique({ where: { id } });
  }

  insert(tx: Tx, comment: NewComment): Promise<CommentRecord> {
    return tx.comment.create({ data: comment });
  }

  update(tx: Tx, id: string, changes: { rating?: number; text?: string; authorName?: string }): Promise<CommentRecord> {
    return tx.comment.update({ where: { id }, data: changes });
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await tx.comment.delete({ where: { id } });
  }

  /** One page of an item's reviews, newest first, and how many it has. */
  async page(itemId: string, skip: number, take: number): Promise<{ rows: CommentRecord[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.#db.comment.findMany({ where: { itemId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip, take }),
      this.#db.comment.count({ where: { itemId } }),
    ]);
    return { rows, total };
  }
}

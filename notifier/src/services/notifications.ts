// The in-app list: rows of the caller, rendered in the order's language, paged by an opaque cursor.
import type { Cursor, NotificationRepository, NotificationRow } from '../repositories/notifications.ts';
import { pickLocale, render } from './messages.ts';

export interface NotificationView { id: string; kind: NotificationRow['kind']; orderUid: string; title: string; body: string; createdAt: string; readAt: string | null }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The position after a row: `<created_at in ms>_<id>`. Any value of that shape is a position (a page of what
 * is older), so the query schema describes every cursor the list accepts.
 */
export const encodeCursor = (row: { createdAt: Date; id: string }): string => `${row.createdAt.getTime()}_${row.id}`;

export function decodeCursor(cursor: string): Cursor | undefined {
  const [ms, id, ...rest] = cursor.split('_');
  if (rest.length || !ms || !id || !/^\d{1,15}$/.test(ms) || !UUID.test(id.toLowerCase())) return undefined;
  const createdAt = new Date(Number(ms));
  return Number.isNaN(createdAt.getTime()) ? undefined : { createdAt, id: id.toLowerCase() };
}

export const view = (row: NotificationRow): NotificationView => ({
  id: row.id, kind: row.kind, orderUid: row.orderUid, ...render(row, pickLocale(row.locale)),
  createdAt: row.createdAt.toISOString(), readAt: row.readAt?.toISOString() ?? null,
});

export class NotificationService {
  readonly #repo: NotificationRepository;
  constructor(repo: NotificationRepository) {
    this.#repo = repo;
  }

  /** A page; undefined for a cursor this service did not issue. */
  async list(customerId: string, options: { unread?: boolean; limit: number; cursor?: string }): Promise<{ items: NotificationView[]; nextCursor: string | null } | undefined> {
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    if (options.cursor !== undefined && !after) return undefined;
    const rows = await this.#repo.list(customerId, { unread: options.unread, limit: options.limit + 1, after });
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return { items: page.map(view), nextCursor: rows.length > options.limit && last ? encodeCursor(last) : null };
  }

  markRead(customerId: string, id: string): Promise<boolean> {
    return this.#repo.markRead(customerId, id);
  }
}

// The notifier database (schema: prisma/notifier/schema.prisma): notifications, one per order event,
// with their e-mail state, and the contact (e-mail, locale) of each order from its order document.
// Plain SQL on the kit's pg pool: inserts are ON CONFLICT DO NOTHING, mail rows are claimed FOR UPDATE SKIP LOCKED.
import type { OrderEvent, OrderEventType } from '@shop/contracts';
import { inTransaction } from '@shop/kit';
import type { Pool } from 'pg';

export interface NotificationRow {
  id: string;
  kind: OrderEventType;
  orderUid: string;
  total: string;
  currency: string;
  createdAt: Date;
  readAt: Date | null;
  /** The order's locale from its order document, when it has come. */
  locale: string | null;
}

export interface OrderContact { orderUid: string; customerId: string; email: string; locale: string }

export interface PendingMail extends NotificationRow { customerId: string; email: string; attempts: number }

/** Where a page of the list continues: the last row's (created_at, id), newest first. */
export interface Cursor { createdAt: Date; id: string }

const COLUMNS = `n.id, n.kind, n.order_uid AS "orderUid", n.total, n.currency, n.created_at AS "createdAt", n.read_at AS "readAt", c.locale`;

export class NotificationRepository {
  readonly #pool: Pool;
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** Stores the notification of this event once: false when the event id was stored before (a redelivery). */
  async add(event: OrderEvent): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `INSERT INTO notifications (event_id, customer_id, order_uid, kind, total, currency, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
      [event.id, event.data.customerId, event.data.orderUid, event.type, event.data.total, event.data.currency, event.occurredAt],
    );
    return rowCount === 1;
  }

  /** The order's contact, as the latest order document says (a repeated document changes nothing). */
  async saveContact(contact: OrderContact): Promise<void> {
    await this.#pool.query(
      `INSERT INTO order_contacts (order_uid, customer_id, email, locale) VALUES ($1, $2, $3, $4)
       ON CONFLICT (order_uid) DO UPDATE SET customer_id = EXCLUDED.customer_id, email = EXCLUDED.email, locale = EXCLUDED.locale, updated_at = now()
       WHERE (order_contacts.customer_id, order_contacts.email, order_contacts.locale) IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.email, EXCLUDED.locale)`,
      [contact.orderUid, contact.customerId, contact.email, contact.locale],
    );
  }

  /** A page of one customer's notifications, newest first. */
  async list(customerId: string, options: { unread?: boolean; limit: number; after?: Cursor }): Promise<NotificationRow[]> {
    const params: unknown[] = [customerId, options.limit];
    let where = 'n.customer_id = $1';
    if (options.unread !== undefined) where += options.unread ? ' AND n.read_at IS NULL' : ' AND n.read_at IS NOT NULL';
    if (options.after) {
      params.push(options.after.createdAt, options.after.id);
      where += ' AND (n.created_at, n.id) < ($3, $4)';
    }
    const { rows } = await this.#pool.query<NotificationRow>(
      `SELECT ${COLUMNS} FROM notifications n LEFT JOIN order_contacts c ON c.order_uid = n.order_uid AND c.customer_id = n.customer_id::text
       WHERE ${where} ORDER BY n.created_at DESC, n.id DESC LIMIT $2`,
      params,
    );
    return rows;
  }

  /** Marks one of the customer's notifications read (the first time only): false when it is not theirs or does not exist. */
  async markRead(customerId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `WITH target AS (SELECT id FROM notifications WHERE id = $1 AND customer_id = $2),
       updated AS (UPDATE notifications SET read_at = now() WHERE id = $1 AND customer_id = $2 AND read_at IS NULL)
       SELECT 1 FROM target`,
      [id, customerId],
    );
    return rowCount === 1;
  }

  /**
   * Runs `send` for up to `limit` notifications whose mail is due (not sent, retry time reached, newer than
   * `maxAgeHours`, the order's contact known and of the same customer), each row locked for the transaction
   * so two mailers never take the same one. `send` answers null when sent, the error and when to retry when
   * not, or 'skip' to leave the row as it is (due again in the next round).
   */
  async withDueMails(limit: number, maxAgeHours: number, send: (mail: PendingMail) => Promise<{ error: string; retryInMs: number } | null | 'skip'>): Promise<{ sent: number; failed: number }> {
    let sent = 0;
    let failed = 0;
    return inTransaction(this.#pool, async (client) => {
      const { rows } = await client.query<PendingMail>(
        `SELECT ${COLUMNS}, n.customer_id AS "customerId", c.email, n.email_attempts AS attempts
         FROM notifications n JOIN order_contacts c ON c.order_uid = n.order_uid AND c.customer_id = n.customer_id::text
         WHERE n.email_sent_at IS NULL AND n.email_next_at <= now() AND n.created_at > now() - make_interval(hours => $2)
         ORDER BY n.email_next_at, n.id LIMIT $1 FOR UPDATE OF n SKIP LOCKED`,
        [limit, maxAgeHours],
      );
      for (const mail of rows) {
        const failure = await send(mail);
        if (failure === 'skip') continue;
        if (failure) {
          failed++;
          await client.query(
            `UPDATE notifications SET email_attempts = email_attempts + 1, email_last_error = $2,
             email_next_at = now() + make_interval(secs => $3::double precision / 1000) WHERE id = $1`,
            [mail.id, failure.error.slice(0, 1000), failure.retryInMs],
          );
        } else {
          sent++;
          await client.query('UPDATE notifications SET email_attempts = email_attempts + 1, email_sent_at = now(), email_last_error = NULL WHERE id = $1', [mail.id]);
        }
      }
      return { sent, failed };
    });
  }
}

/**
 * item-crud's outbox: the kit's transactional outbox (`@shop/kit` outbox) on the `outbox` table of
 * the shop database. The writer runs inside the item transaction; the relay is `outboxRelayPlugin`.
 */
import { OutboxStore as KitOutboxStore, OutboxWriter as KitOutboxWriter, type OutboxMessage, type OutboxTableOptions } from '@shop/kit';
import type pg from 'pg';

export type { PendingRow } from '@shop/kit';
export type NewOutboxRow = OutboxMessage;

/** The PostgreSQL channel a committed outbox write notifies (the relay LISTENs on it). */
export const OUTBOX_CHANNEL = 'outbox';
/** The name of the advisory lock one relay round holds, across every item-crud instance. */
export const RELAY_LOCK_NAME = 'item-crud:outbox-relay';
/** The same lock as an SQL expression (`pg_advisory_lock(${RELAY_LOCK_KEY})`). */
export const RELAY_LOCK_KEY = `hashtext('${RELAY_LOCK_NAME}')`;

export const ITEM_CRUD_OUTBOX: OutboxTableOptions = { table: 'outbox', channel: OUTBOX_CHANNEL, lockKey: RELAY_LOCK_NAME };

/** Writes outbox rows inside the caller's transaction (the one that changes the item). */
export class OutboxWriter extends KitOutboxWriter {
  constructor() {
    super(ITEM_CRUD_OUTBOX);
  }
}

/** What the relay reads and writes (locked rounds, backlog, retention) on item-crud's outbox table. */
export class OutboxStore extends KitOutboxStore {
  constructor(pool: pg.Pool) {
    super(pool, ITEM_CRUD_OUTBOX);
  }
}

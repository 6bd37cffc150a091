import { randomUUID } from 'node:crypto';
import { USER_EVENTS_TOPIC, encodeUserEvent, type UserEvent, type UserEventType } from '@shop/contracts';
import { OutboxWriter, outboxHeaders, type OutboxTableOptions, type OutboxTransaction } from '@shop/kit';
import type { User } from '@shop/prisma/sso';

/** The sso's outbox: the kit's transactional outbox on the `outbox` table of the sso database. */
export const SSO_OUTBOX: OutboxTableOptions = { table: 'outbox', lockKey: 'sso:outbox-relay' };

/** The envelope of an account change: who the account is to the shop, never an e-mail, a name or a hash. */
export function userEvent(type: UserEventType, user: Pick<User, 'id' | 'role' | 'createdAt' | 'version'>, now = new Date()): UserEvent {
  return {
    id: randomUUID(), type, version: user.version, occurredAt: now.toISOString(), source: 'sso',
    data: { id: user.id, role: user.role, createdAt: user.createdAt.toISOString() },
  };
}

/**
 * Writes `user-events` into the outbox inside the transaction that changes the account, so the event
 * exists exactly when the change does; the relay (in the sso process) publishes it, key = user id.
 */
export class UserEventsWriter {
  readonly #outbox = new OutboxWriter(SSO_OUTBOX);

  async add(tx: OutboxTransaction, type: UserEventType, user: Pick<User, 'id' | 'role' | 'createdAt' | 'version'>): Promise<UserEvent> {
    const event = userEvent(type, user);
    await this.#outbox.add(tx, {
      eventId: event.id, topic: USER_EVENTS_TOPIC, key: user.id,
      payload: encodeUserEvent(event).toString('utf8'), // validated against the contract first
      headers: outboxHeaders(),
    });
    return event;
  }
}

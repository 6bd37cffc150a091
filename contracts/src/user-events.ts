import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ROLES } from './auth.ts';
import { decodeJson, encodeJson, schemaErrors, Timestamp, Uuid, type Validation } from './codec.ts';

/**
 * Topic `user-events` (3 partitions), key = user id (one account's events stay in order). Produced by the
 * sso through its transactional outbox, in the same transaction as the account change. Headers:
 * `traceparent`, `content-type`. The payload says who the account is to the shop (id, role, since when),
 * never how to reach or sign in as them: no e-mail, no name, no password hash.
 */
export const USER_EVENTS_TOPIC = 'user-events';
export const USER_EVENT_TYPES = ['user.registered', 'user.updated'] as const;


/** The account after the change. */
export const UserSnapshot = Type.Object(
  {
    id: Uuid,
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);

export const UserEvent = Type.Object(
  {
    /** The event id (consumers deduplicate by it). */
    id: Uuid,
    type: Type.Union(USER_EVENT_TYPES.map((t) => Type.Literal(t))),
    /** The account's own version after the change: 1 at registration, +1 per change (order-safe consumers keep the highest). */
    version: Type.Integer({ minimum: 1 }),
    occurredAt: Timestamp,
    source: Type.String({ minLength: 1, maxLength: 100 }),
    data: UserSnapshot,
  },
  { additionalProperties: false },
);

export type UserSnapshot = Static<typeof UserSnapshot>;
export type UserEvent = Static<typeof UserEvent>;
export type UserEventType = (typeof USER_EVENT_TYPES)[number];

const compiled = TypeCompiler.Compile(UserEvent);

/** Checks a decoded value against the envelope schema (unknown fields — an e-mail — are refused). */
export function validateUserEvent(value: unknown): Validation<UserEvent> {
  if (!compiled.Check(value)) {
    return { ok: false, errors: schemaErrors(compiled, value) };
  }
  return { ok: true, value };
}

/** Decodes and validates the bytes of a Kafka message value. */
export const decodeUserEvent = (bytes: Buffer | null): Validation<UserEvent> => decodeJson(bytes, validateUserEvent);

/** Encodes an event after validating it: producers never publish what consumers would reject. */
export const encodeUserEvent = (event: UserEvent): Buffer => encodeJson(event, validateUserEvent, 'user event');

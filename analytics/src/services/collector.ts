// The collector's rules for client events (POST /api/activity): each event is screened on its own and either
// accepted (completed into a contract ActivityEvent) or rejected with a reason. The client's IP address is never
// looked at, let alone stored; the user id comes only from a verified token.
import { randomUUID } from 'node:crypto';
import { ACTIVITY_TYPES, CLIENT_ACTIVITY_TYPES, anonymousIdFrom, validateActivityEvent, type ActivityEvent } from '@shop/contracts';

export const MAX_EVENTS = 100;
export const MAX_BODY_BYTES = 64 * 1024;

/** Why an event was not accepted: a stable code (also a metric label) and the explanation. */
export type RejectReason = 'not-an-object' | 'type-not-accepted' | 'user-id-not-accepted' | 'anonymous-id-required' | 'too-old' | 'in-the-future' | 'duplicate' | 'invalid';
export const REJECT_REASONS: readonly RejectReason[] = ['not-an-object', 'type-not-accepted', 'user-id-not-accepted', 'anonymous-id-required', 'too-old', 'in-the-future', 'duplicate', 'invalid'];

export interface Rejected { index: number; reason: RejectReason; detail: string }

export interface ScreenContext {
  now: number;
  /** The verified caller, if a token came. */
  userId?: string;
  /** The X-Anonymous-Id header, if valid. */
  anonymousId?: string;
  maxAgeMs: number;
  maxFutureMs: number;
}

const CLIENT_TYPES = new Set<string>(CLIENT_ACTIVITY_TYPES);
const SERVER_TYPES = new Set<string>(ACTIVITY_TYPES.filter((t) => !CLIENT_TYPES.has(t)));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Screens a batch: the accepted events (complete, contract-valid) and the rejections by index. */
export function screen(events: unknown[], ctx: ScreenContext): { accepted: ActivityEvent[]; rejected: Rejected[] } {
  const accepted: ActivityEvent[] = [];
  const rejected: Rejected[] = [];
  const seen = new Set<string>();
  events.forEach((raw, index) => {
    const reject = (reason: RejectReason, detail: string) => rejected.push({ index, reason, detail });
    if (!isObject(raw)) return reject('not-an-object', 'an event is a JSON object');
    const type = raw.type;
    if (typeof type !== 'string' || !CLIENT_TYPES.has(type)) {
      return reject('type-not-accepted', SERVER_TYPES.has(String(type))
        ? `${String(type)} events come from the shop's servers, not from clients`
        : `type must be one of ${CLIENT_ACTIVITY_TYPES.join(', ')}`);
    }
    if (raw.userId !== undefined) return reject('user-id-not-accepted', 'userId is taken from the access token, never from the event');
    const ownAnonymousId = raw.anonymousId === undefined ? undefined : anonymousIdFrom(raw.anonymousId);
    if (raw.anonymousId !== undefined && !ownAnonymousId) return reject('invalid', '/anonymousId: 8..64 characters of letters, digits, _ . : -');
    const anonymousId = ownAnonymousId ?? ctx.anonymousId ?? (ctx.userId ? `user:${ctx.userId}` : undefined);
    if (!anonymousId) return reject('anonymous-id-required', 'without a token, an anonymous id is required (X-Anonymous-Id header or anonymousId in the event)');
    let occurredAt = new Date(ctx.now).toISOString();
    if (raw.occurredAt !== undefined) {
      const at = typeof raw.occurredAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw.occurredAt) ? Date.parse(raw.occurredAt) : Number.NaN;
      if (Number.isNaN(at)) return reject('invalid', '/occurredAt: an RFC 3339 date-time');
      if (at < ctx.now - ctx.maxAgeMs) return reject('too-old', `occurredAt is more than ${Math.round(ctx.maxAgeMs / 3_600_000)} h ago`);
      if (at > ctx.now + ctx.maxFutureMs) return reject('in-the-future', 'occurredAt is in the future');
      occurredAt = raw.occurredAt as string;
    }
    const event = { ...raw, eventId: raw.eventId ?? randomUUID(), occurredAt, anonymousId, ...(ctx.userId ? { userId: ctx.userId } : {}) };
    const valid = validateActivityEvent(event);
    if (!valid.ok) return reject('invalid', valid.errors.join('; '));
    const id = valid.value.eventId.toLowerCase();
    if (seen.has(id)) return reject('duplicate', 'the same eventId twice in one batch');
    seen.add(id);
    accepted.push({ ...valid.value, eventId: id });
  });
  return { accepted, rejected };
}

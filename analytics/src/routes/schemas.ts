import { ANONYMOUS_ID_PATTERN, CLIENT_ACTIVITY_TYPES } from '@shop/contracts';
import { Type } from '@shop/kit';
import { MAX_BODY_BYTES, MAX_EVENTS, REJECT_REASONS } from '../services/collector.ts';

const strict = { additionalProperties: false } as const;

export const CollectHeaders = Type.Object({
  'x-anonymous-id': Type.Optional(Type.String({ pattern: ANONYMOUS_ID_PATTERN, description: "The client's anonymous id (8..64 of A-Z a-z 0-9 _ . : -): required without a token unless each event carries anonymousId" })),
});

export const CollectBody = Type.Object({
  events: Type.Array(Type.Object({}, {
    additionalProperties: true,
    description: `One client event, checked on its own (a bad one is rejected with its reason, the others are accepted): `
      + `{type: ${CLIENT_ACTIVITY_TYPES.join('|')}, eventId? (uuid; sent again, counted once), occurredAt? (RFC 3339, within the last 24 h; default now), `
      + `anonymousId?, sessionId?, queryId + itemId + position (search_click, position from 1), path (page_view)}; userId comes from the token only`,
  }), { minItems: 1, maxItems: MAX_EVENTS, description: `1..${MAX_EVENTS} events; the whole body at most ${MAX_BODY_BYTES} bytes` }),
}, strict);

export const CollectAnswer = Type.Object({
  accepted: Type.Integer({ minimum: 0, description: 'events accepted (they reach the aggregates within seconds)' }),
  rejected: Type.Array(Type.Object({
    index: Type.Integer({ minimum: 0, description: 'position of the event in `events`' }),
    reason: Type.Unsafe<string>({ type: 'string', enum: [...REJECT_REASONS] }),
    detail: Type.String(),
  }, strict)),
}, strict);

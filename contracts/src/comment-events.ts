import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { decodeJson, encodeJson, schemaErrors, Timestamp, Uuid, type Validation } from './codec.ts';

/**
 * Topic `comment-events` (3 partitions), key = item id (one item's review changes stay in order).
 * Produced by item-crud through its transactional outbox, in the same transaction as the review change,
 * the item's rating adjustment and its version bump (which also emits `item.updated` on `item-events`).
 * Headers: `traceparent`, `content-type`.
 */
export const COMMENT_EVENTS_TOPIC = 'comment-events';
export const COMMENT_EVENT_TYPES = ['comment.created', 'comment.updated', 'comment.deleted'] as const;

/** Review ratings are whole stars. */
export const COMMENT_RATING_MIN = 1;
export const COMMENT_RATING_MAX = 5;
/** Review text length (item-crud trims it first). */
export const COMMENT_TEXT_MIN = 1;
export const COMMENT_TEXT_MAX = 2_000;


/** An item's rating after the change: `average` is `rating_sum / rating_count` rounded to one decimal, 0 when there is none. */
export const RatingSummary = Type.Object(
  {
    average: Type.Number({ minimum: 0, maximum: COMMENT_RATING_MAX }),
    count: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const CommentEvent = Type.Object(
  {
    id: Uuid,
    type: Type.Union(COMMENT_EVENT_TYPES.map((t) => Type.Literal(t))),
    occurredAt: Timestamp,
    source: Type.String({ minLength: 1, maxLength: 100 }),
    data: Type.Object(
      {
        /** The comment (review) id. */
        id: Uuid,
        itemId: Uuid,
        authorId: Uuid,
        /**
         * The review's text after the change (for `comment.deleted` the text the removed review had): review analysis
         * reads it from here. Absent in events produced before it was added.
         */
        text: Type.Optional(Type.String({ minLength: COMMENT_TEXT_MIN, maxLength: COMMENT_TEXT_MAX, pattern: '^[^\\u0000]*$' })),
        /** The review's rating after the change; for `comment.deleted` the rating the removed review had. */
        rating: Type.Integer({ minimum: COMMENT_RATING_MIN, maximum: COMMENT_RATING_MAX }),
        /** The item's version after the change (the same change emits `item.updated` at this version). */
        itemVersion: Type.Integer({ minimum: 1 }),
        ratingSummary: RatingSummary,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type RatingSummary = Static<typeof RatingSummary>;
export type CommentEvent = Static<typeof CommentEvent>;
export type CommentEventType = (typeof COMMENT_EVENT_TYPES)[number];

/** `rating_sum / rating_count` rounded to one decimal; `{0, 0}` without reviews. */
export function ratingSummary(sum: number, count: number): RatingSummary {
  if (count <= 0) return { average: 0, count: 0 };
  return { average: Math.round((sum / count) * 10) / 10, count };
}

const compiled = TypeCompiler.Compile(CommentEvent);

/** Checks a decoded value against the envelope schema. */
export function validateCommentEvent(value: unknown): Validation<CommentEvent> {
  if (!compiled.Check(value)) {
    return { ok: false, errors: schemaErrors(compiled, value) };
  }
  return { ok: true, value };
}

/** Decodes and validates the bytes of a Kafka message value. */
export const decodeCommentEvent = (bytes: Buffer | null): Validation<CommentEvent> => decodeJson(bytes, validateCommentEvent);

/** Encodes an event after validating it: producers never publish what consumers would reject. */
export const encodeCommentEvent = (event: CommentEvent): Buffer => encodeJson(event, validateCommentEvent, 'comment event');

import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { decodeJson, encodeJson, schemaErrors, Timestamp, Uuid, type Validation } from './codec.ts';

/**
 * Topic `review-summaries` (3 partitions), key = item id. Produced by comment-analysis through its transactional
 * outbox, in the transaction that rebuilds an item's review summary (a review analyzed, edited, deleted or
 * re-analyzed); a rebuild that changes nothing publishes nothing. Each event is the item's whole summary at that
 * `revision` (per item, +1 with every change), so a consumer keeps the highest revision it has seen and ignores
 * the rest: redeliveries and out-of-order copies change nothing.
 * Consumers: item-crud (stores it on the item and bumps the item's version, so the search document and the product
 * page follow through `item.updated`), analytics (most criticized aspects per category).
 * Headers: `traceparent`, `content-type`.
 */
export const REVIEW_SUMMARIES_TOPIC = 'review-summaries';
export const REVIEW_SUMMARIES_DLQ_TOPIC = 'review-summaries.dlq';
export const REVIEW_SUMMARY_EVENT_TYPES = ['review-summary.updated'] as const;
/** At most this many aspects per summary (the analyzer knows ten), and this many praised / criticized names. */
export const REVIEW_SUMMARY_ASPECTS_MAX = 50;
export const REVIEW_SUMMARY_TOP_MAX = 10;

/** An aspect's name: quality, size, delivery, price, battery, sound, comfort, packaging, screen, appearance, … */
export const AspectName = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,39}$' });
const Count = Type.Integer({ minimum: 0 });

export const AspectTally = Type.Object(
  { aspect: AspectName, mentions: Count, positive: Count, negative: Count },
  { additionalProperties: false },
);

/** What an item's live reviews say. `count` = positive + neutral + negative; `score` is their mean score, 0 without reviews. */
export const ReviewSummary = Type.Object(
  {
    count: Count,
    sentiment: Type.Object({ positive: Count, neutral: Count, negative: Count }, { additionalProperties: false }),
    score: Type.Number({ minimum: -1, maximum: 1 }),
    /** Most mentioned first. */
    aspects: Type.Array(AspectTally, { maxItems: REVIEW_SUMMARY_ASPECTS_MAX }),
    /** Aspects mostly praised / mostly criticized, strongest first. */
    praised: Type.Array(AspectName, { maxItems: REVIEW_SUMMARY_TOP_MAX }),
    criticized: Type.Array(AspectName, { maxItems: REVIEW_SUMMARY_TOP_MAX }),
  },
  { additionalProperties: false },
);

export const ReviewSummaryEvent = Type.Object(
  {
    id: Uuid,
    type: Type.Union(REVIEW_SUMMARY_EVENT_TYPES.map((t) => Type.Literal(t))),
    occurredAt: Timestamp,
    source: Type.String({ minLength: 1, maxLength: 100 }),
    data: Type.Object(
      {
        itemId: Uuid,
        /** The summary's revision for this item: 1 for the first, +1 with every change. */
        revision: Type.Integer({ minimum: 1 }),
        summary: ReviewSummary,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type AspectTally = Static<typeof AspectTally>;
export type ReviewSummary = Static<typeof ReviewSummary>;
export type ReviewSummaryEvent = Static<typeof ReviewSummaryEvent>;

const compiled = TypeCompiler.Compile(ReviewSummaryEvent);

/** Checks a decoded value against the schema, including the rule that the counts add up. */
export function validateReviewSummaryEvent(value: unknown): Validation<ReviewSummaryEvent> {
  if (!compiled.Check(value)) {
    return { ok: false, errors: schemaErrors(compiled, value) };
  }
  const { count, sentiment } = value.data.summary;
  if (sentiment.positive + sentiment.neutral + sentiment.negative !== count) {
    return { ok: false, errors: [`/data/summary/count: ${count} is not positive + neutral + negative (${sentiment.positive + sentiment.neutral + sentiment.negative})`] };
  }
  return { ok: true, value };
}

/** Decodes and validates the bytes of a Kafka message value. */
export const decodeReviewSummaryEvent = (bytes: Buffer | null): Validation<ReviewSummaryEvent> => decodeJson(bytes, validateReviewSummaryEvent);

/** Encodes an event after validating it: producers never publish what consumers would reject. */
export const encodeReviewSummaryEvent = (event: ReviewSummaryEvent): Buffer => encodeJson(event, validateReviewSummaryEvent, 'review summary event');

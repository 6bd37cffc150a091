// An item's review summary as the outside world sees it: the one function that turns the stored tallies into
// `{count, sentiment, score, aspects, praised, criticized}` (the route's answer and the `review-summaries` event both
// come from it), and the `review-summary.updated` event at a revision as an outbox row.
import { randomUUID } from 'node:crypto';
import { REVIEW_SUMMARIES_TOPIC, encodeReviewSummaryEvent, type ReviewSummary, type ReviewSummaryEvent } from '@shop/contracts';
import { outboxHeaders, type OutboxMessage } from '@shop/kit';

/** Aspects named in the summary's praised / criticized lists. */
export const TOP_ASPECTS = 3;
/** The `source` of the events this service publishes. */
export const SOURCE = 'comment-analysis';

export interface AspectCount {
  aspect: string;
  mentions: number;
  positive: number;
  negative: number;
}

/** The stored tallies of an item's live reviews (a row of item_review_summaries, or one just computed). */
export interface SummaryTallies {
  count: number;
  positive: number;
  neutral: number;
  negative: number;
  /** Mean review score, -1 … 1 (0 without reviews). */
  score: number;
  /** Most mentioned first. */
  aspects: AspectCount[];
}

/** An item without live reviews. */
export const NO_REVIEWS: SummaryTallies = { count: 0, positive: 0, neutral: 0, negative: 0, score: 0, aspects: [] };

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * What the tallies say: counts, the mean score to three decimals, the aspects, and up to TOP_ASPECTS aspects praised
 * at least as often as criticized (`praised`, most praised first) and the reverse (`criticized`).
 * Two tallies are the same summary exactly when this gives equal values (that decides whether a rebuild publishes).
 */
export function reviewSummary(t: SummaryTallies): ReviewSummary {
  const top = (key: 'positive' | 'negative', other: 'positive' | 'negative') => t.aspects
    .filter((a) => a[key] > 0 && a[key] >= a[other])
    .sort((a, b) => b[key] - a[key] || b.mentions - a.mentions)
    .slice(0, TOP_ASPECTS).map((a) => a.aspect);
  return {
    count: t.count,
    sentiment: { positive: t.positive, neutral: t.neutral, negative: t.negative },
    // `|| 0`: never a negative zero (it would be equal to 0 for a reader, but not for a deep comparison).
    score: round(t.score) || 0,
    aspects: t.aspects.map((a) => ({ aspect: a.aspect, mentions: a.mentions, positive: a.positive, negative: a.negative })),
    praised: top('positive', 'negative'),
    criticized: top('negative', 'positive'),
  };
}

/** The `review-summary.updated` event of an item's summary at `revision`. */
export function reviewSummaryEvent(itemId: string, revision: number, tallies: SummaryTallies, occurredAt: Date): ReviewSummaryEvent {
  return {
    id: randomUUID(), type: 'review-summary.updated', occurredAt: occurredAt.toISOString(), source: SOURCE,
    data: { itemId, revision, summary: reviewSummary(tallies) },
  };
}

/**
 * The outbox row of that event: key = item id (one item's revisions stay in order), validated against the contract
 * (`encodeReviewSummaryEvent` throws on what consumers would refuse), the current trace context in `traceparent`.
 */
export function reviewSummaryMessage(event: ReviewSummaryEvent, topic: string = REVIEW_SUMMARIES_TOPIC): OutboxMessage {
  return { eventId: event.id, topic, key: event.data.itemId, payload: encodeReviewSummaryEvent(event).toString('utf8'), headers: outboxHeaders() };
}

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { REVIEW_SUMMARIES_TOPIC, decodeReviewSummaryEvent } from '@shop/contracts';
import { NO_REVIEWS, TOP_ASPECTS, reviewSummary, reviewSummaryEvent, reviewSummaryMessage, type SummaryTallies } from './summary.ts';
import { summaryView } from './services/reviews.ts';

const tallies = (over: Partial<SummaryTallies> = {}): SummaryTallies => ({
  count: 5, positive: 3, neutral: 1, negative: 1, score: 0.41234,
  aspects: [
    { aspect: 'size', mentions: 4, positive: 0, negative: 3 },
    { aspect: 'quality', mentions: 3, positive: 3, negative: 0 },
    { aspect: 'delivery', mentions: 2, positive: 1, negative: 1 },
    { aspect: 'sound', mentions: 2, positive: 2, negative: 0 },
    { aspect: 'battery', mentions: 1, positive: 1, negative: 0 },
    { aspect: 'price', mentions: 1, positive: 0, negative: 0 },
  ],
  ...over,
});

describe('reviewSummary: the one view of the tallies (route and event)', () => {
  it('counts, the score to three decimals, praised and criticized (at most TOP_ASPECTS, strongest first)', () => {
    const s = reviewSummary(tallies());
    assert.equal(s.count, 5);
    assert.deepEqual(s.sentiment, { positive: 3, neutral: 1, negative: 1 });
    assert.equal(s.score, 0.412);
    assert.equal(s.praised.length, TOP_ASPECTS);
    assert.deepEqual(s.praised, ['quality', 'sound', 'delivery']);
    assert.deepEqual(s.criticized, ['size', 'delivery']);
    assert.ok(!s.praised.includes('price') && !s.criticized.includes('price'), 'an aspect without polarity is neither');
  });

  it('no reviews: an empty summary; a negative zero score reads as 0', () => {
    assert.deepEqual(reviewSummary(NO_REVIEWS), { count: 0, sentiment: { positive: 0, neutral: 0, negative: 0 }, score: 0, aspects: [], praised: [], criticized: [] });
    assert.ok(Object.is(reviewSummary(tallies({ score: -0.0001 })).score, 0));
  });

  it('the route answers the same summary, with the item id and when it changed', () => {
    const itemId = randomUUID();
    const updatedAt = new Date('2026-12-02T10:00:00Z');
    const view = summaryView(itemId, { itemId, ...tallies(), updatedAt, revision: 3 });
    assert.deepEqual(view, { itemId, ...reviewSummary(tallies()), updatedAt: updatedAt.toISOString() });
    assert.deepEqual(summaryView(itemId, undefined), { itemId, ...reviewSummary(NO_REVIEWS), updatedAt: null });
  });

  it('aspects carry exactly the contract fields (a stored row may hold more)', () => {
    const s = reviewSummary(tallies({ aspects: [{ aspect: 'size', mentions: 1, positive: 0, negative: 1, extra: 1 } as never] }));
    assert.deepEqual(s.aspects, [{ aspect: 'size', mentions: 1, positive: 0, negative: 1 }]);
  });
});

describe('the review-summary.updated event and its outbox row', () => {
  it('passes the contract, keyed by item id, JSON payload, content-type header', () => {
    const itemId = randomUUID();
    const at = new Date('2026-12-02T10:00:00.123Z');
    const event = reviewSummaryEvent(itemId, 2, tallies(), at);
    assert.equal(event.type, 'review-summary.updated');
    assert.equal(event.source, 'comment-analysis');
    assert.equal(event.occurredAt, at.toISOString());
    assert.deepEqual(event.data, { itemId, revision: 2, summary: reviewSummary(tallies()) });
    const message = reviewSummaryMessage(event);
    assert.equal(message.topic, REVIEW_SUMMARIES_TOPIC);
    assert.equal(message.key, itemId);
    assert.equal(message.eventId, event.id);
    assert.equal(message.headers?.['content-type'], 'application/json');
    const decoded = decodeReviewSummaryEvent(Buffer.from(message.payload as string));
    assert.deepEqual(decoded.ok && decoded.value, event);
    assert.equal(reviewSummaryMessage(event, 'review-summaries-bench').topic, 'review-summaries-bench');
  });

  it('refuses to write what consumers would refuse (counts that do not add up)', () => {
    assert.throws(() => reviewSummaryMessage(reviewSummaryEvent(randomUUID(), 1, tallies({ count: 9 }), new Date())), /count/);
  });
});

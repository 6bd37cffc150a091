import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeReviewSummaryEvent, encodeReviewSummaryEvent, validateReviewSummaryEvent, type ReviewSummary, type ReviewSummaryEvent } from './review-summaries.ts';

function event(summary: Partial<ReviewSummary> = {}, revision = 2): ReviewSummaryEvent {
  return {
    id: randomUUID(), type: 'review-summary.updated', occurredAt: new Date().toISOString(), source: 'comment-analysis',
    data: {
      itemId: randomUUID(), revision,
      summary: {
        count: 3, sentiment: { positive: 2, neutral: 0, negative: 1 }, score: 0.41,
        aspects: [{ aspect: 'size', mentions: 2, positive: 0, negative: 2 }, { aspect: 'quality', mentions: 1, positive: 1, negative: 0 }],
        praised: ['quality'], criticized: ['size'], ...summary,
      },
    },
  };
}

describe('review summary event contract', () => {
  it('accepts a well-formed event and round-trips through bytes', () => {
    const e = event();
    const decoded = decodeReviewSummaryEvent(encodeReviewSummaryEvent(e));
    assert.deepEqual(decoded.ok && decoded.value, e);
    const empty = event({ count: 0, sentiment: { positive: 0, neutral: 0, negative: 0 }, score: 0, aspects: [], praised: [], criticized: [] });
    assert.equal(validateReviewSummaryEvent(empty).ok, true, 'the summary of an item whose last review was deleted');
  });

  it('rejects counts that do not add up, scores outside -1..1, bad aspect names, revision 0 and unknown fields', () => {
    assert.match(JSON.stringify(validateReviewSummaryEvent(event({ count: 4 }))), /is not positive \+ neutral \+ negative/);
    for (const score of [1.01, -2]) assert.equal(validateReviewSummaryEvent(event({ score })).ok, false, String(score));
    for (const name of ['Size', '', 'a b', 'x'.repeat(41)]) assert.equal(validateReviewSummaryEvent(event({ praised: [name] })).ok, false, name);
    assert.equal(validateReviewSummaryEvent(event({}, 0)).ok, false);
    assert.equal(validateReviewSummaryEvent({ ...event(), extra: 1 }).ok, false);
    assert.equal(validateReviewSummaryEvent({ ...event(), type: 'review-summary.deleted' }).ok, false);
    assert.equal(validateReviewSummaryEvent(event({ aspects: [{ aspect: 'size', mentions: -1, positive: 0, negative: 0 }] })).ok, false);
  });

  it('reports undecodable bytes instead of throwing, and never encodes an invalid event', () => {
    assert.deepEqual(decodeReviewSummaryEvent(null), { ok: false, errors: ['empty message value'] });
    assert.equal(decodeReviewSummaryEvent(Buffer.from('{not json')).ok, false);
    assert.throws(() => encodeReviewSummaryEvent(event({ count: 9 })), /invalid review summary event/);
  });
});

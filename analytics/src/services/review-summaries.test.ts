import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { validateReviewSummaryEvent, type AspectTally, type ReviewSummaryEvent } from '@shop/contracts';
import type { Decoded } from '@shop/kit';
import type { KafkaMessage } from 'kafkajs';
import { INT_MAX, latestPerItem, refusal } from './review-summaries.ts';

function summary(itemId: string, revision: number, aspects: AspectTally[] = [{ aspect: 'size', mentions: 3, positive: 1, negative: 2 }]): ReviewSummaryEvent {
  return {
    id: randomUUID(), type: 'review-summary.updated', occurredAt: '2026-12-02T10:00:00.000Z', source: 'comment-analysis',
    data: { itemId, revision, summary: { count: 3, sentiment: { positive: 1, neutral: 0, negative: 2 }, score: -0.2, aspects, praised: [], criticized: ['size'] } },
  };
}
const decoded = (value: ReviewSummaryEvent, offset: number): Decoded<ReviewSummaryEvent> =>
  ({ value, topic: 'review-summaries', partition: 0, message: { offset: String(offset) } as KafkaMessage });

describe('review summaries', () => {
  it('refuses what the tables cannot hold, with a reason; accepts what the contract and they both accept', () => {
    const item = randomUUID();
    const ok = summary(item, 1);
    assert.equal(validateReviewSummaryEvent(ok).ok, true);
    assert.equal(refusal(ok), undefined);
    assert.equal(refusal(summary(item, 1, [{ aspect: 'size', mentions: 2, positive: 1, negative: 1 }, { aspect: 'size', mentions: 1, positive: 0, negative: 1 }]))?.reason, 'duplicate-aspect');
    assert.equal(refusal(summary(item, 1, [{ aspect: 'size', mentions: 2, positive: 2, negative: 1 }]))?.reason, 'inconsistent-aspect');
    assert.equal(refusal(summary(item, 1, [{ aspect: 'size', mentions: INT_MAX + 1, positive: 0, negative: 1 }]))?.reason, 'out-of-range');
    assert.equal(refusal(summary(item, 2 ** 53))?.reason, 'out-of-range');
    assert.equal(refusal(summary(item, INT_MAX + 1)), undefined, 'the revision is a bigint column');
  });

  it('keeps per item the highest revision of a chunk, in item-id order, and counts the superseded', () => {
    const [a, b] = [randomUUID(), randomUUID()].sort();
    const messages = [summary(b!, 3), summary(a!, 2), summary(b!, 5), summary(b!, 4), summary(a!, 1, [{ aspect: 'x', mentions: 0, positive: 1, negative: 0 }])];
    const { latest, superseded, refused } = latestPerItem(messages.map((m, i) => decoded(m, i)));
    assert.deepEqual(latest.map((e) => [e.data.itemId, e.data.revision]), [[a, 2], [b, 5]]);
    assert.equal(superseded, 2);
    assert.deepEqual(refused.map((r) => [r.reason, r.message.offset]), [['inconsistent-aspect', '4']]);
  });
});

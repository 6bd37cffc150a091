import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeCommentEvent, encodeCommentEvent, ratingSummary, validateCommentEvent, type CommentEvent } from './comment-events.ts';

function event(overrides: Partial<CommentEvent> = {}, data: Partial<CommentEvent['data']> = {}): CommentEvent {
  return {
    id: randomUUID(), type: 'comment.created', occurredAt: new Date().toISOString(), source: 'item-crud',
    data: { id: randomUUID(), itemId: randomUUID(), authorId: randomUUID(), rating: 4, itemVersion: 3, ratingSummary: { average: 4, count: 1 }, ...data },
    ...overrides,
  };
}

describe('comment event contract', () => {
  it('accepts a well-formed event and round-trips through bytes', () => {
    const e = event();
    const decoded = decodeCommentEvent(encodeCommentEvent(e));
    assert.equal(decoded.ok, true);
    assert.deepEqual(decoded.ok && decoded.value, e);
  });

  it('rejects unknown types, unknown fields, ratings outside 1..5 and bad summaries', () => {
    assert.equal(validateCommentEvent({ ...event(), type: 'comment.liked' }).ok, false);
    assert.equal(validateCommentEvent({ ...event(), extra: 1 }).ok, false);
    assert.equal(validateCommentEvent(event({}, { likes: 1 } as Partial<CommentEvent['data']>)).ok, false);
    for (const text of ['', 'x'.repeat(2001), 'a\u0000b']) assert.equal(validateCommentEvent(event({}, { text })).ok, false, JSON.stringify(text.slice(0, 5)));
    for (const rating of [0, 6, 4.5]) assert.equal(validateCommentEvent(event({}, { rating })).ok, false, String(rating));
    assert.equal(validateCommentEvent(event({}, { ratingSummary: { average: 5.5, count: 1 } })).ok, false);
    assert.equal(validateCommentEvent(event({}, { itemVersion: 0 })).ok, false);
    for (const type of ['comment.created', 'comment.updated', 'comment.deleted'] as const) assert.equal(validateCommentEvent(event({ type })).ok, true);
  });

  it('carries the review text (optional: older events have none)', () => {
    for (const text of ['Отличный товар', 'x'.repeat(2000)]) assert.equal(validateCommentEvent(event({}, { text })).ok, true);
  });

  it('reports undecodable bytes instead of throwing', () => {
    assert.deepEqual(decodeCommentEvent(null), { ok: false, errors: ['empty message value'] });
    assert.equal(decodeCommentEvent(Buffer.from('{not json')).ok, false);
    assert.throws(() => encodeCommentEvent({ ...event(), source: '' }), /invalid comment event/);
  });

  it('summarizes ratings to one decimal', () => {
    assert.deepEqual(ratingSummary(0, 0), { average: 0, count: 0 });
    assert.deepEqual(ratingSummary(9, 2), { average: 4.5, count: 2 });
    assert.deepEqual(ratingSummary(13, 3), { average: 4.3, count: 3 });
    assert.deepEqual(ratingSummary(14, 3), { average: 4.7, count: 3 });
  });
});

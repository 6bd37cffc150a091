import { randomUUID } from 'node:crypto';
import {
  COMMENT_EVENTS_TOPIC, ITEM_EVENTS_TOPIC, encodeCommentEvent, encodeProducedItemEvent, ratingSummary,
  type CommentEvent, type CommentEventType, type ItemEvent, type ItemEventType, type ItemImage, type ItemSnapshot,
} from '@shop/contracts';
import { outboxHeaders } from '@shop/kit';
import type { CommentRecord } from '../repositories/comments.ts';
import type { ItemRecord } from '../repositories/items.ts';
import type { NewOutboxRow } from '../repositories/outbox.ts';

export const EVENT_SOURCE = 'item-crud';

/** The full state of an item row as the contract describes it (also the HTTP view of an item). */
export function toSnapshot(row: ItemRecord): ItemSnapshot {
  return {
    id: row.id,
    article: row.article,
    sellerId: row.sellerId,
    name: row.name,
    description: row.description,
    brand: row.brand,
    category: row.categorySlug,
    price: row.price.toFixed(2),
    currency: row.currency,
    stock: row.stock,
    attributes: (row.attributes ?? {}) as ItemSnapshot['attributes'],
    images: row.images.map((i) => ({ id: i.id, key: i.key, contentType: i.contentType as ItemImage['contentType'], position: i.position })),
    status: row.status,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * The outbox row of a change: the event envelope built from the row as it will be committed
 * (validated by the contract; an invalid event fails the whole transaction), keyed by the item id,
 * with the caller's trace context so the consumers' spans continue the request's trace.
 */
export function outboxRowFor(type: ItemEventType, row: ItemRecord): { row: NewOutboxRow; event: ItemEvent } {
  const event: ItemEvent = {
    id: randomUUID(),
    type,
    version: row.version,
    occurredAt: row.updatedAt.toISOString(),
    source: EVENT_SOURCE,
    data: toSnapshot(row),
  };
  encodeProducedItemEvent(event); // throws on anything a consumer would reject (or a field producers must now send)
  return {
    event,
    row: { eventId: event.id, topic: ITEM_EVENTS_TOPIC, key: row.id, payload: event, headers: outboxHeaders() },
  };
}

/**
 * The outbox row of a review change on `comment-events`, keyed by the item id: the review, and the item's
 * version and rating after the change (`item` is the item row as this transaction leaves it).
 */
export function commentOutboxRowFor(type: CommentEventType, comment: CommentRecord, item: ItemRecord): { row: NewOutboxRow; event: CommentEvent } {
  const event: CommentEvent = {
    id: randomUUID(),
    type,
    occurredAt: item.updatedAt.toISOString(),
    source: EVENT_SOURCE,
    data: {
      id: comment.id,
      itemId: item.id,
      authorId: comment.authorId,
      text: comment.text,
      rating: comment.rating,
      itemVersion: item.version,
      ratingSummary: ratingSummary(item.ratingSum, item.ratingCount),
    },
  };
  encodeCommentEvent(event); // throws on anything a consumer would reject
  return {
    event,
    row: { eventId: event.id, topic: COMMENT_EVENTS_TOPIC, key: item.id, payload: event, headers: outboxHeaders() },
  };
}

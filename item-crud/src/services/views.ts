import { ratingSummary, type ItemSnapshot, type RatingSummary, type ReviewSummary } from '@shop/contracts';
import type { CommentRecord } from '../repositories/comments.ts';
import type { ImageRecord } from '../repositories/images.ts';
import type { ItemRecord } from '../repositories/items.ts';
import { toSnapshot } from './events.ts';
import type { ImageType } from './image-processing.ts';

/** Where the facade serves an image: the original, and `?size=thumb` for the WebP thumbnail. */
export const imageUrl = (itemId: string, imageId: string) => `/api/images/${itemId}/${imageId}`;
export const imageThumbUrl = (itemId: string, imageId: string) => `${imageUrl(itemId, imageId)}?size=thumb`;

export interface ImageView {
  id: string;
  url: string;
  thumbUrl: string;
  width: number;
  height: number;
  contentType: ImageType;
  size: number;
  position: number;
}

export function toImageView(image: ImageRecord): ImageView {
  return {
    id: image.id,
    url: imageUrl(image.itemId, image.id),
    thumbUrl: imageThumbUrl(image.itemId, image.id),
    width: image.width,
    height: image.height,
    contentType: image.contentType as ImageType,
    size: image.size,
    position: image.position,
  };
}

/**
 * An item over HTTP: the event snapshot's fields, but images as URLs (never object keys) and the rating, plus
 * the units held by reservations and what can still be bought (`available` = stock − reserved). Those two are
 * not in the snapshot: a reservation is no item change (no version, no event); only a commit changes stock.
 */
export type ItemView = Omit<ItemSnapshot, 'images' | 'article'> & {
  article: number; images: ImageView[]; rating: RatingSummary; reviewSummary: ReviewSummaryView | null; reserved: number; available: number;
};

/** What the item's reviews say, as comment-analysis last summarized them (the stored summary without its aspect tallies). */
export type ReviewSummaryView = Pick<ReviewSummary, 'count' | 'sentiment' | 'score' | 'praised' | 'criticized'>;

/** The stored `review_summary` (the contract's `ReviewSummary`, written only by the review-summaries consumer); null before the first. */
export function toReviewSummaryView(stored: unknown): ReviewSummaryView | null {
  if (stored === null || typeof stored !== 'object') return null;
  const { count, sentiment, score, praised, criticized } = stored as ReviewSummary;
  return { count, sentiment: { positive: sentiment.positive, neutral: sentiment.neutral, negative: sentiment.negative }, score, praised, criticized };
}

export function toItemView(row: ItemRecord): ItemView {
  return {
    ...toSnapshot(row), article: row.article, images: row.images.map(toImageView), rating: ratingSummary(row.ratingSum, row.ratingCount),
    reviewSummary: toReviewSummaryView(row.reviewSummary), reserved: row.reserved, available: Math.max(0, row.stock - row.reserved),
  };
}

export interface CommentView {
  id: string;
  itemId: string;
  authorId: string;
  authorName: string;
  rating: number;
  text: string;
  createdAt: string;
  updatedAt: string;
}

export function toCommentView(c: CommentRecord): CommentView {
  return {
    id: c.id, itemId: c.itemId, authorId: c.authorId, authorName: c.authorName, rating: c.rating, text: c.text,
    createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString(),
  };
}

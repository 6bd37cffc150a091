/**
 * The item's review summary from comment-analysis (`GET /api/review-analysis/items/:id`), for the product page's
 * `reviewSummary`. Asked on every page answer beside the cached page (never cached in it: the summary follows a
 * review change within seconds, the page's cache may be older), with a short time limit: when comment-analysis is
 * slow or down the page goes out without it.
 */
import { PageSource } from './page-source.ts';

export const REVIEW_SUMMARY_TIMEOUT_MS_DEFAULT = 300;

export class ReviewSummaryClient extends PageSource {
  /** The summary as JSON text, or undefined (comment-analysis down, slow, or answering something else). */
  async get(itemId: string, requestId?: string): Promise<string | undefined> {
    const body = await this.getJson(`/api/review-analysis/items/${encodeURIComponent(itemId)}`, requestId, 'review summary', { itemId }) as
      { itemId?: unknown; count?: unknown } | undefined;
    if (body?.itemId !== itemId || typeof body.count !== 'number') return undefined;
    return JSON.stringify(body);
  }
}

/** The cached page's JSON text with `reviewSummary` added (the page is an object: its text ends with `}`). */
export function withReviewSummary(pageJson: string, summaryJson: string | undefined): string {
  if (!summaryJson || !pageJson.endsWith('}')) return pageJson;
  return `${pageJson.slice(0, -1)},"reviewSummary":${summaryJson}}`;
}

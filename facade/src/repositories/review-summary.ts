/**
 * The item's review summary from comment-analysis (`GET /api/review-analysis/items/:id`), for the product page's
 * `reviewSummary`. Asked on every page answer beside the cached page (never cached in it: the summary follows a
 * review change within seconds, the page's cache may be older), with a short time limit: when comment-analysis is
 * slow or down the page goes out without it.
 */
import type { Log } from '../log.ts';

export const REVIEW_SUMMARY_TIMEOUT_MS_DEFAULT = 300;

export class ReviewSummaryClient {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #log: Log;

  constructor(baseUrl: string, timeoutMs: number, log: Log) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
    this.#log = log;
  }

  /** The summary as JSON text, or undefined (comment-analysis down, slow, or answering something else). */
  async get(itemId: string, requestId?: string): Promise<string | undefined> {
    try {
      const res = await fetch(`${this.#base}/api/review-analysis/items/${encodeURIComponent(itemId)}`, {
        headers: { accept: 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (!res.ok) return undefined;
      const body = await res.json() as { itemId?: unknown; count?: unknown };
      if (body?.itemId !== itemId || typeof body.count !== 'number') return undefined;
      return JSON.stringify(body);
    } catch (err) {
      this.#log.debug({ err, itemId }, 'no review summary for the product page');
      return undefined;
    }
  }
}

/** The cached page's JSON text with `reviewSummary` added (the page is an object: its text ends with `}`). */
export function withReviewSummary(pageJson: string, summaryJson: string | undefined): string {
  if (!summaryJson || !pageJson.endsWith('}')) return pageJson;
  return `${pageJson.slice(0, -1)},"reviewSummary":${summaryJson}}`;
}

// A review's text from item-crud's public list of an item's reviews: only for `comment-events` produced before the
// contract carried the text (item-crud has no single-review route; the list is paged, newest first).
export const TEXT_LOOKUP_PAGE_SIZE = 50;
export const TEXT_LOOKUP_MAX_PAGES = 20;

export class CommentTexts {
  readonly #base: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, timeoutMs: number) {
    this.#base = baseUrl.replace(/\/$/, '');
    this.#timeoutMs = timeoutMs;
  }

  /** The review's text, or undefined when item-crud no longer has it (the item or the review is gone). Throws when item-crud fails. */
  async find(itemId: string, commentId: string): Promise<string | undefined> {
    for (let page = 1; page <= TEXT_LOOKUP_MAX_PAGES; page++) {
      const res = await fetch(`${this.#base}/api/items/${encodeURIComponent(itemId)}/comments?page=${page}&size=${TEXT_LOOKUP_PAGE_SIZE}`, { signal: AbortSignal.timeout(this.#timeoutMs) });
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`item-crud answered ${res.status} for the reviews of ${itemId}`);
      const body = await res.json() as { total: number; items: { id: string; text: string }[] };
      const found = body.items.find((c) => c.id === commentId);
      if (found) return found.text;
      if (page * TEXT_LOOKUP_PAGE_SIZE >= body.total || !body.items.length) return undefined;
    }
    return undefined;
  }
}

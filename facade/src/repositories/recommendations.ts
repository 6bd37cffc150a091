/**
 * The product page's `alsoViewed` and `alsoBought` from the recommendations service
 * (`GET /api/recommendations/items/:id?kind=also-viewed|also-bought`), asked on every page answer beside the cached
 * page with a short time limit. When the service is unset, slow or down, each list is the page's own `related`
 * (Elasticsearch more_like_this) with `source: "related"`, so the page always carries both.
 */
import { PageSource } from './page-source.ts';

export const RECOMMENDATIONS_SIZE = 8;
export type RecommendationKind = 'also-viewed' | 'also-bought';
export interface PageRecommendations { alsoViewed?: string; alsoBought?: string }

export class RecommendationsClient extends PageSource {
  /** One list as JSON text `{items, source}`, or undefined (the service down, slow, degraded or answering nonsense). */
  async list(itemId: string, kind: RecommendationKind, requestId?: string): Promise<string | undefined> {
    const path = `/api/recommendations/items/${encodeURIComponent(itemId)}?kind=${kind}&size=${RECOMMENDATIONS_SIZE}`;
    const body = await this.getJson(path, requestId, 'recommendations', { itemId, kind }) as { items?: unknown; source?: unknown } | undefined;
    if (!Array.isArray(body?.items) || typeof body.source !== 'string') return undefined;
    return JSON.stringify({ items: body.items, source: body.source });
  }

  async get(itemId: string, requestId?: string): Promise<PageRecommendations> {
    const [alsoViewed, alsoBought] = await Promise.all([this.list(itemId, 'also-viewed', requestId), this.list(itemId, 'also-bought', requestId)]);
    return { alsoViewed, alsoBought };
  }
}

/** The page's JSON text with `alsoViewed` and `alsoBought`; a missing list is the page's `related` (source "related"). */
export function withRecommendations(pageJson: string, lists: PageRecommendations): string {
  if (!pageJson.endsWith('}')) return pageJson;
  let related: string | undefined;
  const fallback = () => (related ??= JSON.stringify({ items: (JSON.parse(pageJson) as { related?: unknown[] }).related ?? [], source: 'related' }));
  return `${pageJson.slice(0, -1)},"alsoViewed":${lists.alsoViewed ?? fallback()},"alsoBought":${lists.alsoBought ?? fallback()}}`;
}

import type { ItemSnapshot } from '@shop/contracts';
import { DocumentError, buildDocument, ratingSummary, type ItemDocument } from '../documents/document.ts';
import type { CatalogRepository, ItemRow } from '../repositories/catalog.ts';
import type { CategoryCache } from './categories.ts';

export type Built = { ok: true; document: ItemDocument } | { ok: false; reason: string; message: string };

function attempt(build: () => ItemDocument): Built {
  try {
    return { ok: true, document: build() };
  } catch (err) {
    if (err instanceof DocumentError) return { ok: false, reason: err.reason, message: err.message };
    throw err;
  }
}

/** Builds search documents from event snapshots (enriched from the database) or from database rows. */
export class DocumentBuilder {
  readonly #categories: CategoryCache;
  readonly #catalog: CatalogRepository;
  constructor(categories: CategoryCache, catalog: CatalogRepository) {
    this.#categories = categories;
    this.#catalog = catalog;
  }

  /**
   * Documents for live snapshots: seller names, ratings and review summaries for all of them in one query.
   * A missing seller or item row is tolerated (sellerName null, rating {0, 0}, no reviews): the event is the
   * truth here.
   */
  async fromSnapshots(snapshots: ItemSnapshot[], indexedAt = new Date()): Promise<Built[]> {
    if (snapshots.length === 0) return [];
    const [{ sellers, ratings }] = await Promise.all([
      this.#catalog.enrichment(snapshots.map((s) => s.id), snapshots.map((s) => s.sellerId)),
      this.#categories.prepare(snapshots.map((s) => s.category)),
    ]);
    return snapshots.map((s) => attempt(() => {
      const r = ratings.get(s.id);
      return buildDocument(
        s, { sellerName: sellers.get(s.sellerId) ?? null, rating: ratingSummary(r?.sum ?? 0, r?.count ?? 0), reviewSummary: r?.reviewSummary ?? null },
        this.#categories.info(s.category), indexedAt,
      );
    }));
  }

  /** Documents for rows read from the database (rebuild, repair): everything needed came with the row. */
  async fromRows(rows: ItemRow[], indexedAt = new Date()): Promise<Built[]> {
    await this.#categories.prepare(rows.map((r) => r.category));
    return rows.map((r) => attempt(() => buildDocument(
      r, { sellerName: r.sellerName, rating: ratingSummary(r.ratingSum, r.ratingCount), reviewSummary: r.reviewSummary },
      this.#categories.info(r.category), indexedAt,
    )));
  }
}

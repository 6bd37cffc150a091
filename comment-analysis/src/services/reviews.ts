// What a review change does: analyze the text, store it with the analyzer version, and rebuild the item's summary
// (repository, one transaction, which also puts a changed summary's `review-summaries` event into the outbox). Also
// the views the routes answer with.
import type { CommentEvent, ReviewSummary } from '@shop/contracts';
import type { Analysis, Analyzer, AspectOpinion } from '../analyzer/analyzer.ts';
import type { Flag, Language } from '../analyzer/text.ts';
import type { AnalysisRepository, ItemSummaryRow } from '../repositories/analyses.ts';
import { NO_REVIEWS, reviewSummary } from '../summary.ts';
import type { CommentTexts } from './comment-texts.ts';

export { TOP_ASPECTS } from '../summary.ts';

export interface ItemSummary extends ReviewSummary {
  itemId: string;
  updatedAt: string | null;
}

export interface CommentAnalysisView {
  commentId: string;
  itemId: string;
  rating: number;
  language: Language;
  sentiment: Analysis['sentiment'];
  score: number;
  aspects: AspectOpinion[];
  flags: Flag[];
  analyzerVersion: string;
  analyzedAt: string;
}

export type ChangeOutcome = 'stored' | 'unchanged' | 'text-unavailable';

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The route's answer: the same summary the `review-summaries` events carry (`reviewSummary`), with the item id and when it changed. */
export function summaryView(itemId: string, row: ItemSummaryRow | undefined): ItemSummary {
  return { itemId, ...reviewSummary(row ?? NO_REVIEWS), updatedAt: row ? row.updatedAt.toISOString() : null };
}

export class ReviewService {
  #analyzer: Analyzer | undefined;
  readonly #repo: AnalysisRepository;
  readonly #texts: CommentTexts | undefined;
  readonly #onAnalyzed: (analysis: Analysis) => void;

  /** Reads work at once; changes need the analyzer (`useAnalyzer`), whose vocabulary is stemmed by Elasticsearch. */
  constructor(repo: AnalysisRepository, options: { texts?: CommentTexts; analyzer?: Analyzer; onAnalyzed?: (analysis: Analysis) => void } = {}) {
    this.#repo = repo;
    this.#texts = options.texts;
    this.#analyzer = options.analyzer;
    this.#onAnalyzed = options.onAnalyzed ?? (() => undefined);
  }

  useAnalyzer(analyzer: Analyzer): void {
    this.#analyzer = analyzer;
  }

  get analyzer(): Analyzer {
    if (!this.#analyzer) throw new Error('the analyzer is not ready yet (its vocabulary waits for Elasticsearch)');
    return this.#analyzer;
  }

  /** One `comment-events` event. */
  async apply(event: CommentEvent): Promise<ChangeOutcome> {
    const d = event.data;
    const base = { commentId: d.id, itemId: d.itemId, authorId: d.authorId, rating: d.rating, itemVersion: d.itemVersion, eventId: event.id, changedAt: new Date(event.occurredAt) };
    if (event.type === 'comment.deleted') return (await this.#repo.markDeleted({ ...base, ...(d.text ? { text: d.text } : {}) })) ? 'stored' : 'unchanged';
    // Events from before the contract carried the text: the review as item-crud shows it now.
    const text = d.text ?? (await this.#texts?.find(d.itemId, d.id));
    if (text === undefined) return 'text-unavailable';
    const analysis = await this.analyzer.analyze({ text, rating: d.rating });
    this.#onAnalyzed(analysis);
    return (await this.#repo.save({ ...base, text }, analysis)) ? 'stored' : 'unchanged';
  }

  async summary(itemId: string): Promise<ItemSummary> {
    return summaryView(itemId, await this.#repo.summary(itemId));
  }

  async comment(commentId: string): Promise<CommentAnalysisView | undefined> {
    const row = await this.#repo.find(commentId);
    if (!row) return undefined;
    return {
      commentId: row.commentId, itemId: row.itemId, rating: row.rating, language: row.language as Language, sentiment: row.sentiment as Analysis['sentiment'],
      score: round(row.score), aspects: row.aspects, flags: row.flags as Flag[], analyzerVersion: row.analyzerVersion, analyzedAt: row.analyzedAt.toISOString(),
    };
  }

  /** Every live review analyzed by another version (or every one with `all`) analyzed again; counts. */
  async reanalyze(options: { all?: boolean; batch?: number } = {}): Promise<{ version: string; examined: number; updated: number }> {
    let after = '00000000-0000-0000-0000-000000000000';
    let examined = 0;
    let updated = 0;
    for (;;) {
      const rows = await this.#repo.stale(this.analyzer.version, options.all ?? false, after, options.batch ?? 200);
      if (!rows.length) break;
      for (const row of rows) {
        examined++;
        const analysis = await this.analyzer.analyze({ text: row.text, rating: row.rating });
        if (await this.#repo.reanalyzed(row, analysis)) updated++;
      }
      after = rows[rows.length - 1]!.commentId;
    }
    return { version: this.analyzer.version, examined, updated };
  }
}

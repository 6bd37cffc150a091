// All SQL of comment-analysis (database comment_analysis, prisma/comment-analysis/schema.prisma).
import { inTransaction } from '@shop/kit';
import type pg from 'pg';
import type { Analysis, AspectOpinion } from '../analyzer/analyzer.ts';

export interface ReviewChange {
  commentId: string;
  itemId: string;
  authorId: string;
  rating: number;
  text: string;
  itemVersion: number;
  eventId: string;
  changedAt: Date;
}

export interface StoredAnalysis {
  commentId: string;
  itemId: string;
  rating: number;
  text: string;
  language: string;
  sentiment: string;
  score: number;
  aspects: AspectOpinion[];
  flags: string[];
  analyzerVersion: string;
  itemVersion: number;
  changedAt: Date;
  analyzedAt: Date;
}

export interface AspectCount {
  aspect: string;
  mentions: number;
  positive: number;
  negative: number;
}

export interface ItemSummaryRow {
  itemId: string;
  count: number;
  positive: number;
  neutral: number;
  negative: number;
  score: number;
  aspects: AspectCount[];
  updatedAt: Date;
}

type Db = Pick<pg.Pool, 'query'>;
type Client = pg.PoolClient;

const COLUMNS = `comment_id AS "commentId", item_id AS "itemId", rating, text, language, sentiment, score, aspects, flags,
  analyzer_version AS "analyzerVersion", item_version AS "itemVersion", changed_at AS "changedAt", analyzed_at AS "analyzedAt"`;

export class AnalysisRepository {
  readonly #pg: pg.Pool;
  constructor(pool: pg.Pool) {
    this.#pg = pool;
  }

  #tx<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    return inTransaction(this.#pg, fn);
  }

  /** One item's changes one at a time (the consumer and a reanalysis may meet). */
  static async #lockItem(client: Client, itemId: string): Promise<void> {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [itemId]);
  }

  /**
   * Stores a review's analysis unless the stored row is at the same or a later item version (a redelivered or
   * late event changes nothing), then rebuilds the item's summary. `true` when something changed.
   */
  async save(change: ReviewChange, analysis: Analysis): Promise<boolean> {
    return this.#tx(async (client) => {
      await AnalysisRepository.#lockItem(client, change.itemId);
      const { rowCount } = await client.query(
        `INSERT INTO comment_analyses (comment_id, item_id, author_id, rating, text, language, sentiment, score, aspects, flags,
           analyzer_version, item_version, event_id, changed_at, analyzed_at, deleted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now(), NULL)
         ON CONFLICT (comment_id) DO UPDATE SET rating = EXCLUDED.rating, text = EXCLUDED.text, language = EXCLUDED.language,
           sentiment = EXCLUDED.sentiment, score = EXCLUDED.score, aspects = EXCLUDED.aspects, flags = EXCLUDED.flags,
           analyzer_version = EXCLUDED.analyzer_version, item_version = EXCLUDED.item_version, event_id = EXCLUDED.event_id,
           changed_at = EXCLUDED.changed_at, analyzed_at = now(), deleted_at = NULL
         WHERE comment_analyses.item_version < EXCLUDED.item_version`,
        [change.commentId, change.itemId, change.authorId, change.rating, change.text, analysis.language, analysis.sentiment, analysis.score,
          JSON.stringify(analysis.aspects), analysis.flags, analysis.version, change.itemVersion, change.eventId, change.changedAt],
      );
      if (!rowCount) return false;
      await this.#rebuildSummary(client, change.itemId);
      return true;
    });
  }

  /** The review is gone: its row stays as a tombstone at this item version; the summary leaves it out. */
  async markDeleted(change: Omit<ReviewChange, 'text'> & { text?: string }): Promise<boolean> {
    return this.#tx(async (client) => {
      await AnalysisRepository.#lockItem(client, change.itemId);
      const { rowCount } = await client.query(
        `INSERT INTO comment_analyses (comment_id, item_id, author_id, rating, text, language, sentiment, score, aspects, flags,
           analyzer_version, item_version, event_id, changed_at, deleted_at)
         VALUES ($1, $2, $3, $4, $5, 'unknown', 'neutral', 0, '[]', '{}', '', $6, $7, $8, $8)
         ON CONFLICT (comment_id) DO UPDATE SET item_version = EXCLUDED.item_version, event_id = EXCLUDED.event_id,
           changed_at = EXCLUDED.changed_at, deleted_at = EXCLUDED.deleted_at
         WHERE comment_analyses.item_version < EXCLUDED.item_version`,
        [change.commentId, change.itemId, change.authorId, change.rating, change.text ?? '', change.itemVersion, change.eventId, change.changedAt],
      );
      if (!rowCount) return false;
      await this.#rebuildSummary(client, change.itemId);
      return true;
    });
  }

  /** The summary of an item's live reviews, computed from their rows. */
  async #rebuildSummary(client: Client, itemId: string): Promise<void> {
    await client.query(
      `WITH live AS (SELECT sentiment, score, aspects FROM comment_analyses WHERE item_id = $1 AND deleted_at IS NULL),
       asp AS (
         SELECT a->>'aspect' AS aspect, count(*)::int AS mentions,
           count(*) FILTER (WHERE a->>'polarity' = 'positive')::int AS positive,
           count(*) FILTER (WHERE a->>'polarity' = 'negative')::int AS negative
         FROM live, jsonb_array_elements(live.aspects) a GROUP BY 1)
       INSERT INTO item_review_summaries (item_id, count, positive, neutral, negative, score, aspects, updated_at)
       SELECT $1, count(*)::int, count(*) FILTER (WHERE sentiment = 'positive')::int, count(*) FILTER (WHERE sentiment = 'neutral')::int,
         count(*) FILTER (WHERE sentiment = 'negative')::int, coalesce(avg(score), 0),
         coalesce((SELECT jsonb_agg(jsonb_build_object('aspect', aspect, 'mentions', mentions, 'positive', positive, 'negative', negative)
           ORDER BY mentions DESC, aspect) FROM asp), '[]'::jsonb), now()
       FROM live
       ON CONFLICT (item_id) DO UPDATE SET count = EXCLUDED.count, positive = EXCLUDED.positive, neutral = EXCLUDED.neutral,
         negative = EXCLUDED.negative, score = EXCLUDED.score, aspects = EXCLUDED.aspects, updated_at = EXCLUDED.updated_at`,
      [itemId],
    );
  }

  async summary(itemId: string, db: Db = this.#pg): Promise<ItemSummaryRow | undefined> {
    const { rows } = await db.query<ItemSummaryRow>(
      `SELECT item_id AS "itemId", count, positive, neutral, negative, score, aspects, updated_at AS "updatedAt"
       FROM item_review_summaries WHERE item_id = $1`, [itemId]);
    return rows[0];
  }

  async find(commentId: string): Promise<StoredAnalysis | undefined> {
    const { rows } = await this.#pg.query<StoredAnalysis>(`SELECT ${COLUMNS} FROM comment_analyses WHERE comment_id = $1 AND deleted_at IS NULL`, [commentId]);
    return rows[0];
  }

  /** Live reviews analyzed by another analyzer version (all of them with `all`), in comment id order after `after`. */
  async stale(version: string, all: boolean, after: string, limit: number): Promise<StoredAnalysis[]> {
    const { rows } = await this.#pg.query<StoredAnalysis>(
      `SELECT ${COLUMNS} FROM comment_analyses
       WHERE deleted_at IS NULL AND ($2 OR analyzer_version <> $1) AND comment_id > $3 ORDER BY comment_id LIMIT $4`,
      [version, all, after, limit],
    );
    return rows;
  }

  /** A new analysis of the same review text (only if the review has not changed meanwhile), and the item's summary again. */
  async reanalyzed(row: StoredAnalysis, analysis: Analysis): Promise<boolean> {
    return this.#tx(async (client) => {
      await AnalysisRepository.#lockItem(client, row.itemId);
      const { rowCount } = await client.query(
        `UPDATE comment_analyses SET language = $2, sentiment = $3, score = $4, aspects = $5, flags = $6, analyzer_version = $7, analyzed_at = now()
         WHERE comment_id = $1 AND item_version = $8 AND deleted_at IS NULL`,
        [row.commentId, analysis.language, analysis.sentiment, analysis.score, JSON.stringify(analysis.aspects), analysis.flags, analysis.version, row.itemVersion],
      );
      if (!rowCount) return false;
      await this.#rebuildSummary(client, row.itemId);
      return true;
    });
  }

  /** Counts by analyzer version of live reviews (the CLI prints them). */
  async versions(): Promise<Record<string, number>> {
    const { rows } = await this.#pg.query<{ v: string; n: number }>(
      'SELECT analyzer_version AS v, count(*)::int AS n FROM comment_analyses WHERE deleted_at IS NULL GROUP BY 1');
    return Object.fromEntries(rows.map((r) => [r.v, r.n]));
  }
}

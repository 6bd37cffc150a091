// All SQL of comment-analysis (database comment_analysis, prisma/comment-analysis/schema.prisma).
import { isDeepStrictEqual } from 'node:util';
import { REVIEW_SUMMARIES_TOPIC } from '@shop/contracts';
import { OutboxWriter, inTransaction, type OutboxTableOptions } from '@shop/kit';
import type pg from 'pg';
import type { Analysis, AspectOpinion } from '../analyzer/analyzer.ts';
import { NO_REVIEWS, reviewSummary, reviewSummaryEvent, reviewSummaryMessage, type SummaryTallies } from '../summary.ts';

export type { AspectCount } from '../summary.ts';

/** The service's outbox (the kit's): `review-summaries` events, written in the transaction of the change. */
export const COMMENT_ANALYSIS_OUTBOX = { table: 'outbox', lockKey: 'comment-analysis:outbox-relay' } as const satisfies OutboxTableOptions;

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

export interface ItemSummaryRow extends SummaryTallies {
  itemId: string;
  updatedAt: Date;
  /** The revision last published (0: never). */
  revision: number;
}

type Db = Pick<pg.Pool, 'query'>;
type Client = pg.PoolClient;

const SUMMARY_COLUMNS = `item_id AS "itemId", count, positive, neutral, negative, score, aspects, updated_at AS "updatedAt", revision`;

const COLUMNS = `comment_id AS "commentId", item_id AS "itemId", rating, text, language, sentiment, score, aspects, flags,
  analyzer_version AS "analyzerVersion", item_version AS "itemVersion", changed_at AS "changedAt", analyzed_at AS "analyzedAt"`;

export interface AnalysisRepositoryOptions {
  /** Where summary changes are published (default `review-summaries`; a benchmark uses one of its own). */
  summariesTopic?: string;
}

export class AnalysisRepository {
  readonly #pg: pg.Pool;
  readonly #outbox = new OutboxWriter({ table: COMMENT_ANALYSIS_OUTBOX.table });
  readonly #topic: string;
  constructor(pool: pg.Pool, options: AnalysisRepositoryOptions = {}) {
    this.#pg = pool;
    this.#topic = options.summariesTopic ?? REVIEW_SUMMARIES_TOPIC;
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

  /**
   * The summary of an item's live reviews, computed from their rows (under the item's lock, in the transaction of the
   * change). When it says something else than the stored one (`reviewSummary` of both differs: counts, sentiment,
   * score to three decimals, aspects), its revision goes up by one and its `review-summary.updated` event goes into
   * the outbox in the same transaction; otherwise nothing is published. The row is kept when the last review goes:
   * the empty summary (count 0) is a change like any other, published at the next revision.
   */
  async #rebuildSummary(client: Client, itemId: string): Promise<void> {
    const { rows: [fresh] } = await client.query<SummaryTallies>(
      `WITH live AS (SELECT sentiment, score, aspects FROM comment_analyses WHERE item_id = $1 AND deleted_at IS NULL),
       asp AS (
         SELECT a->>'aspect' AS aspect, count(*)::int AS mentions,
           count(*) FILTER (WHERE a->>'polarity' = 'positive')::int AS positive,
           count(*) FILTER (WHERE a->>'polarity' = 'negative')::int AS negative
         FROM live, jsonb_array_elements(live.aspects) a GROUP BY 1)
       SELECT count(*)::int AS count, count(*) FILTER (WHERE sentiment = 'positive')::int AS positive,
         count(*) FILTER (WHERE sentiment = 'neutral')::int AS neutral, count(*) FILTER (WHERE sentiment = 'negative')::int AS negative,
         coalesce(avg(score), 0)::real AS score,
         coalesce((SELECT jsonb_agg(jsonb_build_object('aspect', aspect, 'mentions', mentions, 'positive', positive, 'negative', negative)
           ORDER BY mentions DESC, aspect) FROM asp), '[]'::jsonb) AS aspects
       FROM live`,
      [itemId],
    );
    const stored = await this.summary(itemId, client, true);
    // No stored row reads as "no reviews" (what the route answers), so a first rebuild that finds none publishes nothing.
    const changed = !isDeepStrictEqual(reviewSummary(stored ?? NO_REVIEWS), reviewSummary(fresh!));
    const revision = (stored?.revision ?? 0) + (changed ? 1 : 0);
    const { rows: [written] } = await client.query<ItemSummaryRow>(
      `INSERT INTO item_review_summaries (item_id, count, positive, neutral, negative, score, aspects, updated_at, revision)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)
       ON CONFLICT (item_id) DO UPDATE SET count = EXCLUDED.count, positive = EXCLUDED.positive, neutral = EXCLUDED.neutral,
         negative = EXCLUDED.negative, score = EXCLUDED.score, aspects = EXCLUDED.aspects, updated_at = EXCLUDED.updated_at,
         revision = EXCLUDED.revision
       RETURNING ${SUMMARY_COLUMNS}`,
      [itemId, fresh!.count, fresh!.positive, fresh!.neutral, fresh!.negative, fresh!.score, JSON.stringify(fresh!.aspects), revision],
    );
    if (changed) await this.#outbox.add(client, reviewSummaryMessage(reviewSummaryEvent(itemId, revision, written!, written!.updatedAt), this.#topic));
  }

  async summary(itemId: string, db: Db = this.#pg, forUpdate = false): Promise<ItemSummaryRow | undefined> {
    const { rows } = await db.query<ItemSummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM item_review_summaries WHERE item_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [itemId]);
    return rows[0];
  }

  /**
   * Every item's current summary published again at revision + 1 (`cli.ts publish-summaries`): for summaries from
   * before the topic existed, and to feed a consumer from scratch (`items`: only these). Batches in item id order, one
   * transaction each (the items' locks, the revisions, the outbox rows). Answers how many were published.
   */
  async republishAll(options: { items?: string[]; batch?: number } = {}): Promise<number> {
    let after = '00000000-0000-0000-0000-000000000000';
    let total = 0;
    for (;;) {
      const rows = await this.#tx(async (client) => {
        const { rows: ids } = await client.query<{ itemId: string }>(
          `SELECT item_id AS "itemId" FROM item_review_summaries WHERE item_id > $1 AND ($3::uuid[] IS NULL OR item_id = ANY($3::uuid[]))
           ORDER BY item_id LIMIT $2`, [after, options.batch ?? 500, options.items ?? null]);
        // The items' locks in id order (a change of one of them waits; nothing else takes several, so no deadlock).
        for (const { itemId } of ids) await AnalysisRepository.#lockItem(client, itemId);
        const { rows: bumped } = await client.query<ItemSummaryRow & { now: Date }>(
          `UPDATE item_review_summaries SET revision = revision + 1 WHERE item_id = ANY($1::uuid[])
           RETURNING ${SUMMARY_COLUMNS}, now() AS now`, [ids.map((r) => r.itemId)]);
        bumped.sort((a, b) => (a.itemId < b.itemId ? -1 : 1));
        await this.#outbox.addAll(client, bumped.map((r) => reviewSummaryMessage(reviewSummaryEvent(r.itemId, r.revision, r, r.now), this.#topic)));
        return ids;
      });
      if (!rows.length) break;
      total += rows.length;
      after = rows[rows.length - 1]!.itemId;
    }
    return total;
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

// Review summaries in the analytics database (tables `item_review_summaries`, `item_review_aspects`; the view
// `review_aspects_by_category`; schema: prisma/analytics/schema.prisma and its migration). Each item keeps the
// summary of the highest revision seen: the summary row is only written when the incoming revision is above the
// stored one, and its aspects are replaced in the same transaction, so a redelivered or older summary changes
// nothing, whichever consumer (group) sees it and in whatever order.
import type { ReviewSummaryEvent } from '@shop/contracts';
import { inTransaction } from '@shop/kit';
import type { Pool } from 'pg';

export interface AspectFigures {
  aspect: string;
  /** Known, not deleted items whose current summary names the aspect. */
  items: number;
  mentions: number;
  positive: number;
  negative: number;
  /** negative ÷ (positive + negative), 4 places (only aspects with a negative mention are listed: never undefined). */
  negativeShare: number;
}

export interface CategoryAspects {
  /** null: items not (yet) known from item-events. */
  category: string | null;
  aspects: AspectFigures[];
}

export class ReviewSummaryRepository {
  readonly #pool: Pool;
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /**
   * Stores the summaries (at most one per item, in item-id order: the lock order of concurrent consumers) in one
   * transaction; answers how many were newer than what was stored (the others changed nothing).
   */
  async apply(events: ReviewSummaryEvent[]): Promise<{ applied: number; stale: number }> {
    if (events.length === 0) return { applied: 0, stale: 0 };
    return inTransaction(this.#pool, async (client) => {
      const { rows } = await client.query<{ item_id: string }>(
        `INSERT INTO item_review_summaries (item_id, revision, reviews, positive, neutral, negative, score)
         SELECT item_id, revision, reviews, positive, neutral, negative, score
         FROM jsonb_to_recordset($1::jsonb) AS x(item_id uuid, revision bigint, reviews int, positive int, neutral int, negative int, score float8)
         ORDER BY item_id
         ON CONFLICT (item_id) DO UPDATE SET revision = EXCLUDED.revision, reviews = EXCLUDED.reviews, positive = EXCLUDED.positive,
           neutral = EXCLUDED.neutral, negative = EXCLUDED.negative, score = EXCLUDED.score, updated_at = now()
         WHERE item_review_summaries.revision < EXCLUDED.revision
         RETURNING item_id`,
        [JSON.stringify(events.map(({ data: { itemId, revision, summary: s } }) => ({
          item_id: itemId, revision, reviews: s.count, positive: s.sentiment.positive, neutral: s.sentiment.neutral, negative: s.sentiment.negative, score: s.score,
        })))],
      );
      if (rows.length === 0) return { applied: 0, stale: events.length };
      // The summary rows written above are locked until the commit: their aspects are replaced by this transaction only.
      const written = new Set(rows.map((r) => r.item_id));
      const ids = [...written].sort();
      await client.query('DELETE FROM item_review_aspects WHERE item_id = ANY($1::uuid[])', [ids]);
      const aspects = events
        .filter((e) => written.has(e.data.itemId.toLowerCase()))
        .flatMap(({ data: { itemId, summary } }) => summary.aspects.map((a) => ({ item_id: itemId, aspect: a.aspect, mentions: a.mentions, positive: a.positive, negative: a.negative })));
      if (aspects.length) {
        await client.query(
          `INSERT INTO item_review_aspects (item_id, aspect, mentions, positive, negative)
           SELECT item_id, aspect, mentions, positive, negative
           FROM jsonb_to_recordset($1::jsonb) AS x(item_id uuid, aspect text, mentions int, positive int, negative int)
           ORDER BY item_id, aspect`,
          [JSON.stringify(aspects)],
        );
      }
      return { applied: rows.length, stale: events.length - rows.length };
    });
  }

  /**
   * From the view `review_aspects_by_category`: per category (one, or all with items not yet known last), its
   * aspects with at least one negative mention, most criticized first, at most `limit` per category.
   */
  async criticizedByCategory(options: { category?: string; limit: number }): Promise<CategoryAspects[]> {
    const params: unknown[] = [options.limit];
    if (options.category) params.push(options.category);
    const { rows } = await this.#pool.query<{ category: string | null; aspect: string; items: number; mentions: string; positive: string; negative: string; negative_share: string }>(
      `SELECT category, aspect, items, mentions, positive, negative, negative_share
       FROM (SELECT v.*, row_number() OVER (PARTITION BY category ORDER BY negative DESC, negative_share DESC, aspect) AS rank
             FROM review_aspects_by_category v WHERE negative > 0${options.category ? ' AND category = $2' : ''}) r
       WHERE rank <= $1
       ORDER BY category NULLS LAST, rank`,
      params,
    );
    const out: CategoryAspects[] = [];
    for (const r of rows) {
      if (out.length === 0 || out.at(-1)!.category !== r.category) out.push({ category: r.category, aspects: [] });
      out.at(-1)!.aspects.push({
        aspect: r.aspect, items: r.items, mentions: Number(r.mentions), positive: Number(r.positive), negative: Number(r.negative),
        negativeShare: Number(r.negative_share),
      });
    }
    return out;
  }
}

// Review summaries from `review-summaries` (comment-analysis): what analytics keeps of them and the rules a
// summary must meet beyond the contract before it is written. The contract guarantees the shapes and non-negative
// integers; the tables add primary keys (one row per aspect of an item), `int` columns and positive + negative ≤
// mentions. A message breaking one of those would fail its transaction again on every retry and hold its partition
// for ever, so it is refused here, with a reason, and dead-lettered instead.
import type { ReviewSummaryEvent } from '@shop/contracts';
import type { DeadLetter, Decoded, Rejection } from '@shop/kit';

/** PostgreSQL `int`. */
export const INT_MAX = 2_147_483_647;

/** Why a decoded summary cannot be stored (the dead-letter reason), or undefined when it can. */
export function refusal(event: ReviewSummaryEvent): Rejection | undefined {
  const { revision, summary } = event.data;
  if (!Number.isSafeInteger(revision)) return { reason: 'out-of-range', detail: `/data/revision: ${revision} is beyond 2^53` };
  const counts: [string, number][] = [
    ['count', summary.count], ['sentiment/positive', summary.sentiment.positive], ['sentiment/neutral', summary.sentiment.neutral],
    ['sentiment/negative', summary.sentiment.negative],
  ];
  const seen = new Set<string>();
  for (const [i, a] of summary.aspects.entries()) {
    if (seen.has(a.aspect)) return { reason: 'duplicate-aspect', detail: `/data/summary/aspects/${i}: ${a.aspect} twice` };
    seen.add(a.aspect);
    counts.push([`aspects/${i}/mentions`, a.mentions], [`aspects/${i}/positive`, a.positive], [`aspects/${i}/negative`, a.negative]);
    if (a.positive + a.negative > a.mentions) {
      return { reason: 'inconsistent-aspect', detail: `/data/summary/aspects/${i}: positive ${a.positive} + negative ${a.negative} > mentions ${a.mentions}` };
    }
  }
  for (const [path, n] of counts) {
    if (n > INT_MAX) return { reason: 'out-of-range', detail: `/data/summary/${path}: ${n} is beyond ${INT_MAX}` };
  }
  return undefined;
}

/**
 * The messages of a chunk split into the ones to write (per item only its highest revision: the lower ones of the
 * same chunk would be superseded in the same transaction anyway), the ones superseded within the chunk, and the
 * refused ones with their reason.
 */
export function latestPerItem(messages: Decoded<ReviewSummaryEvent>[]): { latest: ReviewSummaryEvent[]; superseded: number; refused: DeadLetter[] } {
  const byItem = new Map<string, ReviewSummaryEvent>();
  const refused: DeadLetter[] = [];
  let superseded = 0;
  for (const m of messages) {
    const why = refusal(m.value);
    if (why) {
      refused.push({ ...why, message: m.message });
      continue;
    }
    const id = m.value.data.itemId.toLowerCase();
    const held = byItem.get(id);
    if (held) superseded++;
    if (!held || held.data.revision < m.value.data.revision) byItem.set(id, m.value);
  }
  // Item-id order: concurrent consumers (another group, the tests) lock the summary rows in the same order.
  const latest = [...byItem.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => e);
  return { latest, superseded, refused };
}

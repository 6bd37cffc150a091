// Top-K ranking metrics with binary relevance (an item the user went on to interact with is relevant).

/** 1 when at least one of the first k recommended items is relevant. */
export function hitRate(recommended: readonly string[], relevant: ReadonlySet<string>, k = 10): number {
  return recommended.slice(0, k).some((i) => relevant.has(i)) ? 1 : 0;
}

/** Relevant items among the first k, over k (a list shorter than k is not rewarded for being short). */
export function precision(recommended: readonly string[], relevant: ReadonlySet<string>, k = 10): number {
  if (k <= 0) return 0;
  return recommended.slice(0, k).filter((i) => relevant.has(i)).length / k;
}

/** DCG over the ideal DCG: Σ 1/log2(rank + 1) over relevant items at ranks 1..k, ideal = all relevant first. */
export function ndcg(recommended: readonly string[], relevant: ReadonlySet<string>, k = 10): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  recommended.slice(0, k).forEach((item, i) => {
    if (relevant.has(item)) dcg += 1 / Math.log2(i + 2);
  });
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

/** Distinct items recommended to anyone over the catalog's size. */
export function coverage(lists: Iterable<readonly string[]>, catalogSize: number, k = 10): number {
  if (catalogSize <= 0) return 0;
  const seen = new Set<string>();
  for (const list of lists) for (const item of list.slice(0, k)) seen.add(item);
  return seen.size / catalogSize;
}

/**
 * A fixed word → stems table (data/stem-cache.json) written from the running Elasticsearch's `_analyze` with the
 * items index's `shop_text` analyzer by `node comment-analysis/src/cli.ts stem-cache`. The unit tests and the
 * in-process benchmark read stems from it, so they run without Elasticsearch and still see Hunspell's stems;
 * the service itself always asks Elasticsearch (kit Lemmatizer, cached).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Stemmer } from '@shop/kit/lemmas';
import { DATA_DIR } from './lexicon.ts';

export const STEM_CACHE_FILE = new URL('stem-cache.json', DATA_DIR);

export class StemTable implements Stemmer {
  readonly #table: Map<string, string[]>;
  /** Words asked for that the table does not hold (answered with the word itself, as the Lemmatizer does without Elasticsearch). */
  readonly missing = new Set<string>();

  constructor(table: Map<string, string[]>) {
    this.#table = table;
  }

  static fromFile(file: URL = STEM_CACHE_FILE): StemTable {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { stems: Record<string, string[]> };
    return new StemTable(new Map(Object.entries(raw.stems)));
  }

  async stems(words: string[]): Promise<string[][]> {
    return words.map((w) => {
      const s = this.#table.get(w);
      if (!s) this.missing.add(w);
      return s ?? [w];
    });
  }
}

/** Writes the table, sorted, with where it came from. */
export function writeStemTable(entries: [string, string[]][], source: { index: string; analyzer: string }, file: URL = STEM_CACHE_FILE): void {
  const stems = Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync(file, `${JSON.stringify({ $comment: `Hunspell stems from Elasticsearch _analyze (index ${source.index}, analyzer ${source.analyzer}); regenerate with: node comment-analysis/src/cli.ts stem-cache`, stems }, null, 0).replace(/],"/g, '],\n"')}\n`);
}

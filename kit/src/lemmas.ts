/**
 * Word stems from an index's own analyzer (Hunspell RU+EN, `shop_text`), so every service reads words alike:
 * search matches synonyms on any form of a word ("ноутбуки" and "ноутбука" meet the rule for "ноутбук"),
 * comment-analysis matches its lexicon and aspects on stems. Stems are cached in memory (words repeat: most
 * texts need no extra round trip); when Elasticsearch cannot answer, a word stands for itself (not cached, so
 * it is asked again once Elasticsearch is back).
 */
import type { Client } from '@elastic/elasticsearch';

export const LEMMA_CACHE_MAX = 50_000;
export const DEFAULT_LEMMA_ANALYZER = 'shop_text';

/** What turns words into their stems (a Lemmatizer, or a fixed table in unit tests). */
export interface Stemmer {
  /** For each word, its stems (the word itself when there are none). */
  stems(words: string[]): Promise<string[][]>;
}

export interface LemmatizerOptions {
  /** The analyzer of the index (default `shop_text`). */
  analyzer?: string;
  /** Cache size; when full the cache starts over. */
  cacheMax?: number;
}

export class Lemmatizer implements Stemmer {
  readonly #es: Client;
  readonly #index: string;
  readonly #analyzer: string;
  readonly #cacheMax: number;
  readonly #cache = new Map<string, string[]>();

  constructor(es: Client, index: string, options: LemmatizerOptions = {}) {
    this.#es = es;
    this.#index = index;
    this.#analyzer = options.analyzer ?? DEFAULT_LEMMA_ANALYZER;
    this.#cacheMax = options.cacheMax ?? LEMMA_CACHE_MAX;
  }

  /** For each word, its stems (the word itself when the analyzer has none or Elasticsearch is down). */
  async stems(words: string[]): Promise<string[][]> {
    await this.#fill(words).catch(() => undefined);
    return words.map((w) => this.#cache.get(w) ?? [w]);
  }

  /** Like `stems`, but an Elasticsearch failure is thrown instead of answered with the words themselves. */
  async stemsStrict(words: string[]): Promise<string[][]> {
    await this.#fill(words);
    return words.map((w) => this.#cache.get(w) ?? [w]);
  }

  /** Words cached so far with their stems. */
  entries(): [string, string[]][] {
    return [...this.#cache.entries()];
  }

  async #fill(words: string[]): Promise<void> {
    const missing = [...new Set(words.filter((w) => !this.#cache.has(w)))];
    if (!missing.length) return;
    const found = await this.#analyze(missing);
    if (this.#cache.size + missing.length > this.#cacheMax) this.#cache.clear();
    missing.forEach((w, i) => this.#cache.set(w, found[i]!));
  }

  /** One `_analyze` of all words joined by newlines; tokens are mapped back to words by offset. */
  async #analyze(words: string[]): Promise<string[][]> {
    const starts: number[] = [];
    let offset = 0;
    for (const w of words) {
      starts.push(offset);
      offset += w.length + 1;
    }
    const res = await this.#es.indices.analyze({ index: this.#index, analyzer: this.#analyzer, text: words.join('\n') });
    const out = words.map(() => new Set<string>());
    for (const t of res.tokens ?? []) {
      let i = starts.length - 1;
      while (i > 0 && starts[i]! > t.start_offset) i--;
      out[i]!.add(t.token);
    }
    return out.map((set, i) => (set.size ? [...set] : [words[i]!]));
  }
}

/**
 * Word stems from the index's own analyzer (Hunspell RU+EN, `shop_text`), so synonyms match any
 * form of a word: "ноутбуки" and "ноутбука" meet the rule for "ноутбук", "палатки" the one for
 * "палатка". Stems are cached in memory (words repeat: most queries need no extra round trip); when
 * Elasticsearch cannot answer, a word stands for itself.
 */
import type { Client } from '@elastic/elasticsearch';

export const LEMMA_CACHE_MAX = 50_000;
const ANALYZER = 'shop_text';

export class Lemmatizer {
  readonly #es: Client;
  readonly #index: string;
  readonly #cache = new Map<string, string[]>();

  constructor(es: Client, index: string) {
    this.#es = es;
    this.#index = index;
  }

  /** For each word, its stems (the word itself when the analyzer has none or Elasticsearch is down). */
  async stems(words: string[]): Promise<string[][]> {
    const missing = [...new Set(words.filter((w) => !this.#cache.has(w)))];
    if (missing.length) {
      const found = await this.#analyze(missing).catch(() => undefined);
      if (found) {
        if (this.#cache.size + missing.length > LEMMA_CACHE_MAX) this.#cache.clear();
        missing.forEach((w, i) => this.#cache.set(w, found[i]!));
      }
    }
    return words.map((w) => this.#cache.get(w) ?? [w]);
  }

  /** One `_analyze` of all words joined by newlines; tokens are mapped back to words by offset. */
  async #analyze(words: string[]): Promise<string[][]> {
    const starts: number[] = [];
    let offset = 0;
    for (const w of words) {
      starts.push(offset);
      offset += w.length + 1;
    }
    const res = await this.#es.indices.analyze({ index: this.#index, analyzer: ANALYZER, text: words.join('\n') });
    const out = words.map(() => new Set<string>());
    for (const t of res.tokens ?? []) {
      let i = starts.length - 1;
      while (i > 0 && starts[i]! > t.start_offset) i--;
      out[i]!.add(t.token);
    }
    return out.map((set, i) => (set.size ? [...set] : [words[i]!]));
  }
}

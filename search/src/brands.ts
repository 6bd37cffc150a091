/**
 * Brands typed as they sound in the other alphabet: "найк" is Nike, "филипс" Philips, "левайс"
 * Levi's, "нью баланс" New Balance, and "biol" the Russian brand Биол. Both sides are spelled in
 * Latin letters (Cyrillic transliterated) and reduced to a sound key: spellings that sound alike
 * (ph/f, c/k/s, s/z, sch/sh/ch, w/v, x/ks, double letters) meet, and vowels are left out after the first
 * letter, because a brand's English spelling rarely says how it sounds ("nike" and "найк" both give
 * "nk"). A word is only ever replaced by a brand the index holds (the `brand` field's own values,
 * cached), so nothing is invented; among brands with the same key the closest spelling wins.
 */
import type { Client } from '@elastic/elasticsearch';
import { normalizeText, words } from './text.ts';

const RU_LATIN: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p',
  р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'h', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'sch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};
const CYRILLIC = /[а-яё]/;
const LATIN = /[a-z]/;

/** A word in Latin letters: Cyrillic transliterated, accents dropped ("Lancôme" → "lancome"), anything else left out. */
export function latinSpelling(word: string): string {
  const lower = normalizeText(word).toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
  return [...lower].map((c) => RU_LATIN[c] ?? (LATIN.test(c) ? c : '')).join('');
}

const VOWEL = /[aeiouy]/;

/**
 * The sound keys of a Latin spelling (usually one; three when a leading "x" may be "ks", "s" or "sh",
 * as in Xiaomi / Ксиоми / Сяоми / Шаоми): sound-alike spellings unified, doubled letters single, then the consonants
 * after the first letter (a leading vowel is kept as "_", so "adidas" is not "dadas").
 */
export function soundKeys(latin: string): string[] {
  const variants = latin.startsWith('x') ? [latin, `s${latin.slice(1)}`, `sh${latin.slice(1)}`] : [latin];
  return [...new Set(variants.map(soundKey).filter(Boolean))];
}

function soundKey(latin: string): string {
  const s = latin
    .replace(/dzh|zh/g, 'j')
    .replace(/tsch|sch|sh|tch/g, 'ch')
    .replace(/ph/g, 'f')
    .replace(/th/g, 't')
    .replace(/gh/g, 'g')
    .replace(/kh/g, 'h')
    .replace(/ck/g, 'k')
    .replace(/qu/g, 'kv')
    .replace(/q/g, 'k')
    .replace(/x/g, 'ks')
    .replace(/c(?=[eiy])/g, 's')
    .replace(/c(?!h)/g, 'k')
    .replace(/ts|tz/g, 'z')
    // s and z sound alike more often than not across the two alphabets ("левайз", "Zwilling" / "цвиллинг").
    .replace(/z/g, 's')
    .replace(/w(?=[aeiouy])/g, 'v')
    .replace(/w/g, 'u')
    .replace(/(.)\1+/g, '$1');
  if (!s) return '';
  const head = VOWEL.test(s[0]!) ? '_' : s[0]!;
  return head + s.slice(1).replace(/[aeiouy]/g, '');
}

/** Edit distance (Levenshtein) of two short strings. */
export function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** One brand of the index, spelled for matching. */
interface BrandEntry { value: string; words: string[]; latin: string[]; cyrillic: boolean; docs: number }

/**
 * How a brand of several words is said short: without a leading "the" ("норт фейс" is The North Face),
 * and by its first word when that is a name of its own, 4 letters or more ("лореаль" is L'Oréal Paris,
 * "вивьен" Vivienne Sabo; not "new" of New Balance).
 */
function spokenForms(w: string[]): string[][] {
  if (!w.length || w.length > 4) return [];
  const forms = [w];
  if (w.length > 1 && w[0] === 'the') forms.push(w.slice(1));
  const first = forms.at(-1)!;
  if (first.length > 1 && latinSpelling(first[0]!).length >= 4) forms.push([first[0]!]);
  return forms;
}

/** The index's brands by the sound key of their first word. */
export class BrandKeys {
  readonly #byKey = new Map<string, BrandEntry[]>();
  readonly longest: number;

  constructor(brands: { value: string; docs: number }[]) {
    let longest = 1;
    for (const { value, docs } of brands) {
      for (const w of spokenForms(words(value))) {
        const entry: BrandEntry = { value, words: w, latin: w.map(latinSpelling), cyrillic: CYRILLIC.test(w.join(' ')), docs };
        for (const key of soundKeys(entry.latin[0]!)) this.#byKey.set(key, [...(this.#byKey.get(key) ?? []), entry]);
        longest = Math.max(longest, w.length);
      }
    }
    this.longest = longest;
  }

  /**
   * The brand that `typed` (consecutive query words, at least one of them not in the index) spells in
   * the other alphabet: each word's sound key equals the brand word's, the scripts differ, and of
   * several such brands the one closest in spelling (then with the most items). A single word needs
   * three letters and a key of two sounds (too many brands sound like "ли" or "но").
   */
  match(typed: string[]): string[] | undefined {
    const latin = typed.map(latinSpelling);
    if (typed.length === 1 && ([...typed[0]!].length < 3 || soundKeys(latin[0]!).every((k) => k.length < 2))) return undefined;
    const cyrillic = CYRILLIC.test(typed.join(' '));
    if (!cyrillic && !typed.every((w) => LATIN.test(w))) return undefined;
    let best: { entry: BrandEntry; cost: number } | undefined;
    for (const key of soundKeys(latin[0]!)) {
      for (const entry of this.#byKey.get(key) ?? []) {
        if (entry.cyrillic === cyrillic || entry.words.length !== typed.length) continue;
        if (!entry.latin.every((l, i) => soundKeys(l).some((k) => soundKeys(latin[i]!).includes(k)))) continue;
        const cost = distance(entry.latin.join(' '), latin.join(' '));
        if (!best || cost < best.cost || (cost === best.cost && entry.docs > best.entry.docs)) best = { entry, cost };
      }
    }
    return best?.entry.words;
  }
}

/** How long the brand list is reused before it is read again (new brands show up within this). */
export const BRANDS_TTL_MS = 60_000;
export const MAX_BRANDS = 20_000;

/** The `brand` values of the items alias (a terms aggregation), cached for `BRANDS_TTL_MS`; empty while Elasticsearch cannot answer. */
export class BrandList {
  readonly #es: Client;
  readonly #alias: string;
  readonly #ttlMs: number;
  #cached: { at: number; keys: Promise<BrandKeys> } | undefined;

  constructor(es: Client, alias: string, ttlMs = BRANDS_TTL_MS) {
    this.#es = es;
    this.#alias = alias;
    this.#ttlMs = ttlMs;
  }

  keys(): Promise<BrandKeys> {
    if (!this.#cached || Date.now() - this.#cached.at > this.#ttlMs) {
      const keys = this.#load();
      this.#cached = { at: Date.now(), keys };
      keys.catch(() => {
        if (this.#cached?.keys === keys) this.#cached = undefined;
      });
    }
    return this.#cached.keys.catch(() => new BrandKeys([]));
  }

  async #load(): Promise<BrandKeys> {
    const res = await this.#es.search<unknown, { brands: { buckets: { key: string; doc_count: number }[] } }>({
      index: this.#alias, size: 0, query: { term: { status: 'active' } }, aggs: { brands: { terms: { field: 'brand', size: MAX_BRANDS } } },
    });
    return new BrandKeys((res.aggregations?.brands.buckets ?? []).map((b) => ({ value: b.key, docs: b.doc_count })));
  }
}

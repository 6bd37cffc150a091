/**
 * The analyzer's vocabulary (data/lexicon.json, data/aspects.json, data/flags.json), compiled against a stemmer:
 * every entry is stemmed with the same Hunspell analyzer as the reviews, so it matches every form of its word.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Stemmer } from '@shop/kit/lemmas';
import { normalize, tokenize, type FlagRules } from './text.ts';

export const DATA_DIR = new URL('../../data/', import.meta.url);
/** Bumped when the rules in code change; the data files' hash is appended, so a lexicon edit is a new version too. */
export const RULES_VERSION = '1';

export interface LexiconData {
  words: Record<string, string[]>;
  aspectWords: { word: string; weight: number; aspect: string }[];
  phrases: { text: string; weight: number; aspect?: string }[];
  negators: string[];
  intensifiers: Record<string, number>;
  diminishers: Record<string, number>;
  contrast: string[];
  emoji: Record<string, number>;
}
export interface AspectData {
  aspects: Record<string, { categories: string[]; terms: string[] }>;
}
export interface FlagData {
  profanity: string[];
  link: string[];
  phone: string;
  shouting: FlagRules['shouting'];
  tooShort: FlagRules['tooShort'];
}

export interface VocabularyData {
  lexicon: LexiconData;
  aspects: AspectData;
  flags: FlagData;
  /** RULES_VERSION plus the data's hash. */
  version: string;
}

const read = (name: string) => readFileSync(new URL(name, DATA_DIR), 'utf8');

/** The data files as shipped. */
export function loadVocabulary(): VocabularyData {
  const files = ['lexicon.json', 'aspects.json', 'flags.json'].map(read);
  const hash = createHash('sha256');
  for (const f of files) hash.update(f);
  return {
    lexicon: JSON.parse(files[0]!) as LexiconData,
    aspects: JSON.parse(files[1]!) as AspectData,
    flags: JSON.parse(files[2]!) as FlagData,
    version: `${RULES_VERSION}+${hash.digest('hex').slice(0, 10)}`,
  };
}

/** A polarity entry: its weight and the aspect it judges, if any. */
export interface Entry {
  weight: number;
  aspect?: string;
}
export interface Phrase extends Entry {
  /** One set of acceptable stems (and the surface word) per position. */
  stems: Set<string>[];
}

export interface CompiledVocabulary {
  version: string;
  /** By stem. */
  words: Map<string, Entry>;
  /** Longest first. */
  phrases: Phrase[];
  negators: Set<string>;
  intensifiers: Map<string, number>;
  diminishers: Map<string, number>;
  /** Single words that start a new clause ("но", "but"); multi-word ones as sequences. */
  contrast: string[][];
  emoji: Map<string, number>;
  /** Aspect by stem of its terms. */
  aspectTerms: Map<string, string[]>;
  aspectNames: string[];
  aspectCategories: Record<string, string[]>;
  flags: FlagRules;
}

/**
 * The stems that stand for a word: those starting as the word does. Hunspell also strips prefixes ("inexpensive" →
 * "expensive", "unreliable" → "reliable", "неудобный" → "удобный"), which would give a word its opposite's polarity.
 */
export function ownStems(word: string, stems: string[]): string[] {
  return stems.filter((s) => s.slice(0, 2) === word.slice(0, 2));
}

const words = (text: string) => tokenize(normalize(text)).flatMap((t) => (t.kind === 'word' ? [t.text] : []));

/** Every word the vocabulary needs stems of (for the stem cache). */
export function vocabularyWords(data: VocabularyData): string[] {
  const { lexicon, aspects } = data;
  return [...new Set([
    ...Object.values(lexicon.words).flat().flatMap(words),
    ...lexicon.aspectWords.flatMap((w) => words(w.word)),
    ...lexicon.phrases.flatMap((p) => words(p.text)),
    ...Object.values(aspects.aspects).flatMap((a) => a.terms.flatMap(words)),
  ])];
}

export async function compileVocabulary(data: VocabularyData, stemmer: Stemmer): Promise<CompiledVocabulary> {
  const all = vocabularyWords(data);
  const stemsOf = new Map<string, string[]>();
  (await stemmer.stems(all)).forEach((s, i) => stemsOf.set(all[i]!, s));
  const stemSet = (w: string) => new Set([w, ...ownStems(w, stemsOf.get(w) ?? [])]);

  const { lexicon } = data;
  const wordMap = new Map<string, Entry>();
  const put = (word: string, entry: Entry) => {
    for (const w of words(word)) {
      const own = ownStems(w, stemsOf.get(w) ?? []);
      for (const s of own.includes(w) ? [w] : [w, ...own]) {
        const had = wordMap.get(s);
        // An aspect-bearing entry wins over a plain one for the same stem; otherwise the stronger weight.
        if (!had || (entry.aspect && !had.aspect) || (!!entry.aspect === !!had.aspect && Math.abs(entry.weight) > Math.abs(had.weight))) wordMap.set(s, entry);
      }
    }
  };
  for (const [weight, list] of Object.entries(lexicon.words)) for (const w of list) put(w, { weight: Number(weight) });
  for (const w of lexicon.aspectWords) put(w.word, { weight: w.weight, aspect: w.aspect });

  const phrases: Phrase[] = lexicon.phrases
    .map((p) => ({ weight: p.weight, ...(p.aspect ? { aspect: p.aspect } : {}), stems: words(p.text).map(stemSet) }))
    .sort((a, b) => b.stems.length - a.stems.length);

  const aspectTerms = new Map<string, string[]>();
  for (const [name, a] of Object.entries(data.aspects.aspects)) {
    for (const term of a.terms) {
      for (const w of words(term)) {
        for (const s of stemSet(w)) aspectTerms.set(s, [...new Set([...(aspectTerms.get(s) ?? []), name])]);
      }
    }
  }
  const re = (p: string) => new RegExp(p, 'iu');
  return {
    version: data.version,
    words: wordMap,
    phrases,
    negators: new Set(lexicon.negators.map((w) => normalize(w))),
    intensifiers: new Map(Object.entries(lexicon.intensifiers).map(([w, f]) => [normalize(w), f])),
    diminishers: new Map(Object.entries(lexicon.diminishers).map(([w, f]) => [normalize(w), f])),
    contrast: lexicon.contrast.map(words),
    emoji: new Map(Object.entries(lexicon.emoji).map(([e, w]) => [e.normalize('NFKC'), w])),
    aspectTerms,
    aspectNames: Object.keys(data.aspects.aspects),
    aspectCategories: Object.fromEntries(Object.entries(data.aspects.aspects).map(([n, a]) => [n, a.categories])),
    flags: {
      profanity: data.flags.profanity.map(re), link: data.flags.link.map(re), phone: re(data.flags.phone),
      shouting: data.flags.shouting, tooShort: data.flags.tooShort,
    },
  };
}

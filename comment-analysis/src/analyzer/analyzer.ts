/**
 * Review analysis by lexicon and rules on Hunspell stems: sentiment with a score, aspects with their own
 * polarity, language and moderation flags. Clauses (split at punctuation and at "но"/"but") are the unit of
 * judgment; a negator up to three words before a polar word flips it ("не понравилось", "not bad",
 * "без нареканий"), intensifiers and diminishers scale it; the star rating is a weak signal that fills in
 * where the text says little and never overrides clear text.
 */
import type { Stemmer } from '@shop/kit/lemmas';
import { compileVocabulary, loadVocabulary, ownStems, type CompiledVocabulary, type Entry, type VocabularyData } from './lexicon.ts';
import { detectFlags, detectLanguage, normalize, tokenize, type Flag, type Language, type Token } from './text.ts';

export type Sentiment = 'positive' | 'neutral' | 'negative';
export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;

export interface AspectOpinion {
  aspect: string;
  /** Sum of the opinions in the clauses that name the aspect: > 0 praised, < 0 criticized, 0 named only. */
  score: number;
  polarity: Sentiment;
}

export interface Analysis {
  language: Language;
  sentiment: Sentiment;
  /** −1 (negative) … +1 (positive). */
  score: number;
  aspects: AspectOpinion[];
  flags: Flag[];
  version: string;
}

/** How the parts weigh (exported for the README and tests). */
export const TUNING = {
  /** Words before a polar word where a negator or intensifier still counts. */
  negationWindow: 3,
  intensifierWindow: 2,
  /** A negated positive word keeps this share of its weight (as a negative); a negated negative, this (as a positive). */
  negatedPositive: 0.7,
  negatedNegative: 0.6,
  /** The star rating's share of the score where the text says nothing; it shrinks as the text gets clearer. */
  starWeight: 0.35,
  /** Praise and criticism both present with the smaller at least this share of the larger: a mixed review, dampened. */
  mixedShare: 0.25,
  mixedDamping: 0.5,
  /** |score| at or above this is positive / negative. */
  threshold: 0.3,
  /** The text's score is (praise − criticism) / (praise + criticism + this): one plain word is not yet a verdict. */
  textDamping: 1.5,
  /** An aspect's |score| below this is named only. */
  aspectThreshold: 0.3,
  /** Exclamation marks strengthen the clause before them. */
  exclamation: 1.2,
};

export interface ReviewInput {
  text: string;
  /** Stars 1..5, if known. */
  rating?: number;
}

interface Clause {
  words: { text: string; stems: Set<string> }[];
  emoji: string[];
  exclaimed: boolean;
}

interface Opinion extends Entry {
  clause: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export class Analyzer {
  readonly vocabulary: CompiledVocabulary;
  readonly #stemmer: Stemmer;

  private constructor(vocabulary: CompiledVocabulary, stemmer: Stemmer) {
    this.vocabulary = vocabulary;
    this.#stemmer = stemmer;
  }

  static async create(stemmer: Stemmer, data: VocabularyData = loadVocabulary()): Promise<Analyzer> {
    return new Analyzer(await compileVocabulary(data, stemmer), stemmer);
  }

  get version(): string {
    return this.vocabulary.version;
  }

  async analyze(input: ReviewInput): Promise<Analysis> {
    const normalized = normalize(input.text);
    const tokens = tokenize(normalized);
    const words = [...new Set(tokens.flatMap((t) => (t.kind === 'word' ? [t.text] : [])))];
    const stems = new Map<string, string[]>();
    if (words.length) (await this.#stemmer.stems(words)).forEach((s, i) => stems.set(words[i]!, s));
    return this.analyzeTokens(input, normalized, tokens, stems);
  }

  /** The pure part: everything after the stems are known. */
  analyzeTokens(input: ReviewInput, normalized: string, tokens: Token[], stems: Map<string, string[]>): Analysis {
    const v = this.vocabulary;
    const clauses = this.#clauses(tokens, stems);
    const opinions: Opinion[] = [];
    const mentions = new Map<string, Set<number>>();
    const mention = (aspect: string, clause: number) => {
      if (!mentions.has(aspect)) mentions.set(aspect, new Set());
      mentions.get(aspect)!.add(clause);
    };

    clauses.forEach((clause, ci) => {
      const ws = clause.words;
      const factor = clause.exclaimed ? TUNING.exclamation : 1;
      for (let i = 0; i < ws.length;) {
        const phrase = v.phrases.find((p) => p.stems.every((set, k) => i + k < ws.length && [...ws[i + k]!.stems].some((s) => set.has(s))));
        const span = phrase ? phrase.stems.length : 1;
        const entry: Entry | undefined = phrase ?? this.#entry(ws[i]!);
        for (let k = i; k < i + span; k++) for (const s of ws[k]!.stems) for (const a of v.aspectTerms.get(s) ?? []) mention(a, ci);
        if (entry && entry.weight !== 0) {
          let w = entry.weight * factor * this.#scale(ws, i);
          if (this.#negated(ws, i)) w = w > 0 ? -w * TUNING.negatedPositive : -w * TUNING.negatedNegative;
          opinions.push({ weight: w, ...(entry.aspect ? { aspect: entry.aspect } : {}), clause: ci });
          if (entry.aspect) mention(entry.aspect, ci);
        }
        i += span;
      }
      for (const e of clause.emoji) {
        const w = v.emoji.get(e) ?? v.emoji.get(e.replace('\uFE0F', ''));
        if (w) opinions.push({ weight: w, clause: ci });
      }
    });

    const pos = opinions.reduce((s, o) => s + Math.max(0, o.weight), 0);
    const neg = opinions.reduce((s, o) => s + Math.max(0, -o.weight), 0);
    let text = (pos - neg) / (pos + neg + TUNING.textDamping);
    if (pos > 0 && neg > 0 && Math.min(pos, neg) / Math.max(pos, neg) >= TUNING.mixedShare) text *= TUNING.mixedDamping;
    const stars = input.rating && input.rating >= 1 && input.rating <= 5 ? (input.rating - 3) / 2 : 0;
    const score = Math.max(-1, Math.min(1, text + TUNING.starWeight * stars * (1 - Math.abs(text))));
    const sentiment: Sentiment = score >= TUNING.threshold ? 'positive' : score <= -TUNING.threshold ? 'negative' : 'neutral';

    const aspects: AspectOpinion[] = [];
    for (const [aspect, inClauses] of mentions) {
      const s = opinions.filter((o) => (o.aspect ? o.aspect === aspect : inClauses.has(o.clause))).reduce((sum, o) => sum + o.weight, 0);
      aspects.push({ aspect, score: round(s), polarity: s >= TUNING.aspectThreshold ? 'positive' : s <= -TUNING.aspectThreshold ? 'negative' : 'neutral' });
    }
    aspects.sort((a, b) => v.aspectNames.indexOf(a.aspect) - v.aspectNames.indexOf(b.aspect));

    return {
      language: detectLanguage(normalized),
      sentiment,
      score: round(score),
      aspects,
      flags: detectFlags(input.text, normalized, tokens, v.flags),
      version: v.version,
    };
  }

  /** The entry of the word itself, else of its first stem that has one. */
  #entry(word: { text: string; stems: Set<string> }): Entry | undefined {
    for (const s of word.stems) {
      const e = this.vocabulary.words.get(s);
      if (e) return e;
    }
    return undefined;
  }

  /** Intensifiers and diminishers just before word i. */
  #scale(ws: Clause['words'], i: number): number {
    let f = 1;
    for (let k = Math.max(0, i - TUNING.intensifierWindow); k < i; k++) {
      f *= this.vocabulary.intensifiers.get(ws[k]!.text) ?? this.vocabulary.diminishers.get(ws[k]!.text) ?? 1;
    }
    return f;
  }

  /** A negator among the words just before word i in its clause. */
  #negated(ws: Clause['words'], i: number): boolean {
    for (let k = Math.max(0, i - TUNING.negationWindow); k < i; k++) {
      const w = ws[k]!.text;
      if (this.vocabulary.negators.has(w) || w.endsWith("n't")) return true;
    }
    return false;
  }

  /** Clauses: split at punctuation and at contrast words (which are dropped). */
  #clauses(tokens: Token[], stems: Map<string, string[]>): Clause[] {
    const contrast = this.vocabulary.contrast;
    const out: Clause[] = [];
    let current: Clause = { words: [], emoji: [], exclaimed: false };
    const flush = () => {
      if (current.words.length || current.emoji.length) out.push(current);
      current = { words: [], emoji: [], exclaimed: false };
    };
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind === 'break') {
        current.exclaimed = t.exclaimed;
        flush();
        continue;
      }
      if (t.kind === 'emoji') {
        current.emoji.push(t.text);
        continue;
      }
      const c = contrast.find((seq) => seq.every((w, k) => { const n = tokens[i + k]; return n?.kind === 'word' && n.text === w; }));
      if (c) {
        flush();
        i += c.length - 1;
        continue;
      }
      current.words.push({ text: t.text, stems: new Set([t.text, ...ownStems(t.text, stems.get(t.text) ?? [])]) });
    }
    flush();
    return out;
  }
}

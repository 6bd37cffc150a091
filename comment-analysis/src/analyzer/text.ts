/**
 * The surface of a review: normalization, tokens (words, emoji, clause boundaries), language and the
 * moderation flags. Pure functions, no I/O.
 */

/** Longer "words" are noise (a key held down, a hash): they are neither stemmed nor judged. */
export const WORD_MAX_LENGTH = 40;

export type Language = 'ru' | 'en' | 'mixed' | 'unknown';
export const LANGUAGES = ['ru', 'en', 'mixed', 'unknown'] as const;
export const FLAGS = ['profanity', 'link', 'phone', 'shouting', 'too_short'] as const;
export type Flag = (typeof FLAGS)[number];

export type Token =
  | { kind: 'word'; text: string }
  | { kind: 'emoji'; text: string }
  | { kind: 'break'; exclaimed: boolean };

/** Lowercase, NFKC, ё folded to е (as the search index folds it), typographic apostrophes made plain; NUL and other controls dropped. */
export function normalize(text: string): string {
  return text
    .normalize('NFKC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .toLowerCase()
    .replaceAll('ё', 'е')
    .replace(/[\u2019\u2018\u02bc`]/g, "'");
}

const TOKEN = /(\p{Extended_Pictographic}\uFE0F?)|([\p{L}\p{N}]+(?:['\-/][\p{L}\p{N}]+)*)|([.!?;,:()\n…]+)/gu;

/** Words, emoji and clause breaks (sentence punctuation and commas) in order, from normalized text. */
export function tokenize(normalized: string): Token[] {
  const out: Token[] = [];
  for (const m of normalized.matchAll(TOKEN)) {
    if (m[1]) out.push({ kind: 'emoji', text: m[1] });
    else if (m[2]) {
      if (m[2].length <= WORD_MAX_LENGTH) out.push({ kind: 'word', text: m[2] });
    } else {
      const last = out[out.length - 1];
      const exclaimed = m[3]!.includes('!');
      if (last?.kind === 'break') last.exclaimed ||= exclaimed;
      else if (last) out.push({ kind: 'break', exclaimed });
    }
  }
  return out;
}

const CYRILLIC = /\p{Script=Cyrillic}/gu;
const LATIN = /\p{Script=Latin}/gu;

/** Russian or English by the letters' scripts; mixed when the smaller script has at least a quarter of the letters. */
export function detectLanguage(text: string): Language {
  const cyr = text.match(CYRILLIC)?.length ?? 0;
  const lat = text.match(LATIN)?.length ?? 0;
  const total = cyr + lat;
  if (total === 0) return 'unknown';
  if (Math.min(cyr, lat) >= 4 && Math.min(cyr, lat) / total >= 0.25) return 'mixed';
  return cyr >= lat ? 'ru' : 'en';
}

export interface FlagRules {
  profanity: RegExp[];
  link: RegExp[];
  phone: RegExp;
  shouting: { minLetters: number; upperShare: number };
  tooShort: { minWords: number };
}

const digits = (s: string) => s.replace(/\D/g, '').length;

/** The moderation flags of a review (original text for shouting, normalized for the rest). */
export function detectFlags(original: string, normalized: string, tokens: Token[], rules: FlagRules): Flag[] {
  const flags: Flag[] = [];
  if (rules.profanity.some((re) => re.test(normalized))) flags.push('profanity');
  if (rules.link.some((re) => re.test(normalized))) flags.push('link');
  if ([...normalized.matchAll(new RegExp(rules.phone.source, 'gu'))].some((m) => digits(m[0]) >= 10)) flags.push('phone');
  const letters = original.match(/\p{L}/gu) ?? [];
  const upper = original.match(/\p{Lu}/gu)?.length ?? 0;
  if (letters.length >= rules.shouting.minLetters && upper / letters.length >= rules.shouting.upperShare) flags.push('shouting');
  const words = tokens.filter((t) => t.kind === 'word' && /\p{L}/u.test(t.text)).length;
  if (words < rules.tooShort.minWords) flags.push('too_short');
  return flags;
}

/**
 * Query text as shoppers type it: normalization (ё is е), words, and keyboard-layout conversion
 * between the Russian ЙЦУКЕН and the English QWERTY layouts ("rhjccjdrb" is "кроссовки" typed
 * with the wrong layout, "тшлу" is "nike").
 */
import { codeParts, codeWindows, normalizeText } from '@shop/contracts';

export { normalizeText };

/** Words of a query: letters and digits (with inner `-`, `.`, `'`, `+`), lowercased; everything else separates. */
export function words(text: string): string[] {
  return normalizeText(text).toLowerCase().match(/[\p{L}\p{N}]+(?:[-.'+][\p{L}\p{N}]+)*\+*/gu) ?? [];
}

const EN = "`qwertyuiop[]asdfghjkl;'zxcvbnm,.";
const RU = 'ёйцукенгшщзхъфывапролджэячсмитьбю';
const EN_TO_RU = new Map([...EN].map((c, i) => [c, RU[i]!]));
const RU_TO_EN = new Map([...RU].map((c, i) => [c, EN[i]!]));
// Shifted keys that type letters on the Russian layout: `{`→Х, `}`→Ъ, `:`→Ж, `"`→Э, `<`→Б, `>`→Ю, `~`→Ё.
for (const [en, ru] of [['{', 'х'], ['}', 'ъ'], [':', 'ж'], ['"', 'э'], ['<', 'б'], ['>', 'ю'], ['~', 'ё']] as const) EN_TO_RU.set(en, ru);

const LATIN = /[a-z]/;
const CYRILLIC = /[а-яё]/;

/**
 * The query as it would read typed on the other layout, or null when that makes no sense: only a
 * query written entirely in one script (ignoring digits and spaces) is converted, so "iphone 15"
 * becomes "шзрщту 15" but "nike кроссовки" is left alone. Punctuation that sits on Russian letter
 * keys (`,` `.` `;` `'` `[` `]`) is converted inside Latin words: "yjen,er" → "ноутбук".
 */
export function switchLayout(text: string): string | null {
  const lower = normalizeText(text).toLowerCase();
  const latin = LATIN.test(lower);
  const cyrillic = CYRILLIC.test(lower);
  if (latin === cyrillic) return null;
  if (latin) {
    // A trailing `,`/`.` is more likely punctuation than б/ю, except inside a word.
    const converted = lower.replace(/[a-z`[\]{};:'",.<>~]+/g, (run) => {
      const core = run.replace(/[,.]+$/, '');
      return [...core].map((c) => EN_TO_RU.get(c) ?? c).join('') + run.slice(core.length);
    });
    return converted.replace(/[,.]+$/, '').trim() || null;
  }
  const converted = [...lower].map((c) => RU_TO_EN.get(c) ?? c).join('');
  return converted === lower ? null : converted.trim() || null;
}

/** Words that stand for numbers or model codes: never fuzzy ("15" must not match "16"). */
export const hasDigit = (word: string) => /\p{N}/u.test(word);

/**
 * For each query word, the model codes of the query that cover it whole, written without
 * separators: "rtx 4060" gives "rtx4060" to both words, "wh-1000xm5" gives "wh1000xm5", "iphone 15
 * pro" gives "iphone15", "15pro" and "iphone15pro". A code never covers part of a word, so
 * "wh-1000xm5" does not become "1000xm5" (which "WF-1000XM5" would match).
 */
export function queryCodes(queryWords: string[]): Map<string, string[]> {
  const parts: string[] = [];
  const owner: number[] = [];
  const starts = new Set<number>();
  const ends = new Set<number>();
  queryWords.forEach((word, i) => {
    const own = codeParts(word);
    if (!own.length) return;
    starts.add(parts.length);
    for (const part of own) {
      parts.push(part);
      owner.push(i);
    }
    ends.add(parts.length - 1);
  });
  const codes = new Map<string, string[]>();
  for (const { code, first, last } of codeWindows(parts)) {
    if (!starts.has(first) || !ends.has(last)) continue;
    for (let i = owner[first]!; i <= owner[last]!; i++) {
      const list = codes.get(queryWords[i]!) ?? [];
      if (!list.includes(code)) codes.set(queryWords[i]!, [...list, code]);
    }
  }
  return codes;
}

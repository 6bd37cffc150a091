/**
 * Shoppers' spelling, shared by the ETL (documents) and the search service (queries) so both sides
 * agree: Unicode NFKC, ё→е and Ё→Е, control characters and runs of whitespace to one space, trimmed.
 * Case is kept (the analyzers lowercase).
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/ё/g, 'е')
    .replace(/Ё/g, 'Е')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\s]+/g, ' ')
    .trim();
}

/** A run of letters or digits in a model code, lowercased: "WH-1000XM5" has the parts "wh" and "1000xm5". */
const CODE_PART = /[\p{L}\p{N}]+/gu;
const DIGIT = /\p{N}/u;
const LETTER = /\p{L}/u;
const NUMBER = /^\p{N}+$/u;

/** A model code written without separators, and which parts (by index) it joins. */
export interface CodeWindow { code: string; first: number; last: number }

/** The letter/digit parts of a text, lowercased (what model codes are made of). */
export const codeParts = (text: string): string[] => normalizeText(text).toLowerCase().match(CODE_PART) ?? [];

/**
 * Model numbers as they may be typed without (or with other) separators: every run of up to
 * `maxParts` consecutive parts that holds a digit, joined with nothing ("WH-1000XM5" → "wh1000xm5",
 * "RTX 4060" → "rtx4060", "ECAM22.110.B" → "ecam22110b"). A single part counts only when it mixes
 * letters and digits ("wh1000xm5" itself); two numbers next to each other are never joined ("1,7 л",
 * "16/512" are two numbers, not one). The ETL indexes these for the name; the search service looks
 * up the query's own, so either side may be the one written with separators.
 */
export function codeWindows(parts: string[], maxParts = 4): CodeWindow[] {
  const out: CodeWindow[] = [];
  for (let first = 0; first < parts.length; first++) {
    let digits = false;
    for (let last = first; last < Math.min(parts.length, first + maxParts); last++) {
      const part = parts[last]!;
      if (last > first && NUMBER.test(part) && NUMBER.test(parts[last - 1]!)) break;
      digits ||= DIGIT.test(part);
      if (!digits) continue;
      if (last === first && !LETTER.test(part)) continue;
      out.push({ code: parts.slice(first, last + 1).join(''), first, last });
    }
  }
  return out;
}

/** The distinct model codes of a text (see `codeWindows`), at most `max` of them, the fewest parts first. */
export function modelCodes(text: string, max = 64): string[] {
  const windows = codeWindows(codeParts(text)).sort((a, b) => a.last - a.first - (b.last - b.first) || a.first - b.first);
  return [...new Set(windows.map((w) => w.code))].slice(0, max);
}

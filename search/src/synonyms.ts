/**
 * Query-time synonyms. This Elasticsearch build has no synonym filter, so the search service
 * expands the query itself: each word (or phrase) found in a group becomes "any of the group".
 *
 * File format (one rule per line, `#` starts a comment, case and ё/е do not matter):
 *   ноутбук, laptop, notebook        equivalents: each finds the others
 *   кеды => sneakers, кроссовки      one-way: "кеды" also finds the right side, not the reverse
 * Entries may be several words ("running shoes"); they match as phrases.
 *
 * The file is re-read when its modification time changes (checked every few seconds) and on
 * SIGHUP, so an operator edits it without restarting the service. A file that fails to parse is
 * refused as a whole and the previous rules stay in force.
 */
import { readFile, stat } from 'node:fs/promises';
import { words } from './text.ts';

/** Bounds on the list: a runaway file cannot make every query huge. */
export const MAX_SYNONYM_RULES = 10_000;
export const MAX_GROUP_SIZE = 20;
export const MAX_PHRASE_WORDS = 4;

export interface SynonymRules {
  /** Key: an entry's words joined by a space. Value: the alternatives (each a list of words), without the entry itself. */
  readonly map: ReadonlyMap<string, string[][]>;
  /** The longest entry in words. */
  readonly longest: number;
}

export class SynonymError extends Error {}

export function parseSynonyms(text: string): SynonymRules {
  const map = new Map<string, string[][]>();
  let rules = 0;
  const add = (from: string[], to: string[][]) => {
    const key = from.join(' ');
    const list = map.get(key) ?? [];
    for (const alt of to) {
      const altKey = alt.join(' ');
      if (altKey !== key && !list.some((l) => l.join(' ') === altKey)) list.push(alt);
    }
    if (list.length > MAX_GROUP_SIZE) throw new SynonymError(`"${key}" has more than ${MAX_GROUP_SIZE} synonyms`);
    map.set(key, list);
  };
  const entries = (side: string, line: number) => side.split(',').map((s) => words(s)).filter((w) => w.length).map((w) => {
    if (w.length > MAX_PHRASE_WORDS) throw new SynonymError(`line ${line}: "${w.join(' ')}" has more than ${MAX_PHRASE_WORDS} words`);
    return w;
  });
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    if (++rules > MAX_SYNONYM_RULES) throw new SynonymError(`more than ${MAX_SYNONYM_RULES} rules`);
    const arrow = line.split('=>');
    if (arrow.length > 2) throw new SynonymError(`line ${i + 1}: more than one "=>"`);
    if (arrow.length === 2) {
      const [left, right] = [entries(arrow[0]!, i + 1), entries(arrow[1]!, i + 1)];
      if (!left.length || !right.length) throw new SynonymError(`line ${i + 1}: "=>" needs words on both sides`);
      for (const from of left) add(from, right);
      return;
    }
    const group = entries(line, i + 1);
    if (group.length < 2) throw new SynonymError(`line ${i + 1}: a group needs at least two entries`);
    for (const from of group) add(from, group);
  });
  return { map, longest: Math.max(1, ...[...map.keys()].map((k) => k.split(' ').length)) };
}

/** A part of the query: the words as typed plus what they may be replaced with. */
export interface QueryUnit {
  words: string[];
  alternatives: string[][];
}

/** The rules by word stems: entries indexed by the stems of their first word. */
export interface StemIndex {
  entries: { stems: string[][]; alternatives: string[][] }[];
  byFirst: Map<string, number[]>;
}

/** Stems every entry of the rules (one call for all their words). */
export async function stemIndex(rules: SynonymRules, stemmer: (words: string[]) => Promise<string[][]>): Promise<StemIndex> {
  const keys = [...rules.map.keys()];
  const all = [...new Set(keys.flatMap((k) => k.split(' ')))];
  const stems = new Map((await stemmer(all)).map((s, i) => [all[i]!, s]));
  const index: StemIndex = { entries: [], byFirst: new Map() };
  keys.forEach((key, n) => {
    const entry = { stems: key.split(' ').map((w) => stems.get(w) ?? [w]), alternatives: rules.map.get(key)! };
    index.entries.push(entry);
    for (const s of entry.stems[0]!) index.byFirst.set(s, [...(index.byFirst.get(s) ?? []), n]);
  });
  return index;
}

const meets = (a: string[], b: string[]) => a.some((x) => b.includes(x));

/**
 * Splits the words into units, longest synonym entry first ("running shoes" before "running"). With
 * stems, an entry matches any form of its words ("палатки" meets "палатка, tent").
 */
export function expand(queryWords: string[], rules: SynonymRules, stemmed?: { stems: string[][]; index: StemIndex }): QueryUnit[] {
  const units: QueryUnit[] = [];
  for (let i = 0; i < queryWords.length;) {
    let best: { n: number; alternatives: string[][] } | undefined;
    for (let n = Math.min(rules.longest, queryWords.length - i); n >= 1 && !best; n--) {
      const alternatives = rules.map.get(queryWords.slice(i, i + n).join(' '));
      if (alternatives?.length) best = { n, alternatives };
    }
    if (stemmed) {
      const candidates = new Set(stemmed.stems[i]!.flatMap((s) => stemmed.index.byFirst.get(s) ?? []));
      for (const c of candidates) {
        const entry = stemmed.index.entries[c]!;
        const n = entry.stems.length;
        if (n <= (best?.n ?? 0) || i + n > queryWords.length) continue;
        if (entry.stems.every((s, j) => meets(s, stemmed.stems[i + j]!))) best = { n, alternatives: entry.alternatives };
      }
    }
    if (best) {
      units.push({ words: queryWords.slice(i, i + best.n), alternatives: best.alternatives });
      i += best.n;
    } else {
      units.push({ words: [queryWords[i++]!], alternatives: [] });
    }
  }
  return units;
}

export interface SynonymSourceOptions {
  file: string;
  pollMs: number;
  onReload?: (rules: SynonymRules) => void;
  onError?: (err: Error) => void;
}

/** The rules from a file, re-read when it changes. */
export class SynonymFile {
  #rules: SynonymRules = { map: new Map(), longest: 1 };
  #mtime = -1;
  #timer: NodeJS.Timeout | undefined;
  readonly #options: SynonymSourceOptions;
  readonly #onSignal = () => void this.reload(true);

  constructor(options: SynonymSourceOptions) {
    this.#options = options;
  }

  get rules(): SynonymRules {
    return this.#rules;
  }

  /** Loads the file; fails if it cannot be read or parsed (at start: the service must not run without its rules). */
  async start(): Promise<void> {
    await this.reload(true, true);
    this.#timer = setInterval(() => void this.reload(false), this.#options.pollMs);
    this.#timer.unref();
    process.on('SIGHUP', this.#onSignal);
  }

  stop(): void {
    clearInterval(this.#timer);
    process.off('SIGHUP', this.#onSignal);
  }

  /** Re-reads the file if it changed (or always with `force`); keeps the old rules when the new ones are bad. */
  async reload(force: boolean, throwOnError = false): Promise<boolean> {
    try {
      const { mtimeMs } = await stat(this.#options.file);
      if (!force && mtimeMs === this.#mtime) return false;
      this.#mtime = mtimeMs; // a bad version is reported once, not on every poll
      const rules = parseSynonyms(await readFile(this.#options.file, 'utf8'));
      this.#rules = rules;
      this.#options.onReload?.(rules);
      return true;
    } catch (err) {
      if (throwOnError) throw err;
      this.#options.onError?.(err as Error);
      return false;
    }
  }
}

/**
 * The search page: the query as typed first; when that finds nothing, a fallback chain that says
 * what it changed instead of silently changing the question.
 *
 *   1. strict        morphology + synonyms, every word must match
 *   2. layout        the same, on the query re-typed in the other keyboard layout ("rhjccjdrb")
 *   3. typo          typo-tolerant (fuzziness by word length), exact matches still ranked first
 *   4. layout_typo   typo-tolerant on the re-typed query
 *   5. relaxed       typo-tolerant, without the least important word (then without the least
 *                    important half); the dropped words are reported
 *
 * A strict match on the re-typed query is tried before typos on the original: "тшлу" is far more
 * likely "nike" on the wrong layout than a one-letter typo of some Russian word. Steps 2–5 are
 * answered by one `_msearch` of cheap count probes; only the winning step runs in full.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { HttpProblem } from '@shop/kit';
import { PRICE_RANGES, buildProbe, buildSearch, type SearchParams, type TextPlan } from '../query.ts';
import type { BrandList } from '../brands.ts';
import type { Lemmatizer } from '../lemmas.ts';
import { expand, stemIndex, type QueryUnit, type StemIndex, type SynonymRules } from '../synonyms.ts';
import { normalizeText, queryCodes, switchLayout, words } from '../text.ts';

export type Step = 'strict' | 'layout' | 'transliteration' | 'typo' | 'layout_typo' | 'relaxed';

export interface Bucket { value: string; count: number }
/** What a hit shows of its reviews: how many, their mean score (-1..1), the aspects mostly praised / criticized. */
export interface HitReviews { count: number; score: number; praised: string[]; criticized: string[] }
export interface SearchItem {
  id: string; article: number | null; name: string; brand: string; category: string; price: string; currency: string;
  rating: { average: number; count: number }; reviewSummary: HitReviews; image: string | null; highlight: Record<string, string[]>;
}
export interface SearchResult {
  total: number;
  page: number;
  size: number;
  items: SearchItem[];
  facets: { category: Bucket[]; brand: Bucket[]; price: { from: number | null; to: number | null; count: number }[] };
  /** The corrected question when the answer is for it rather than for the typed one. */
  didYouMean?: string;
  /** What the fallback chain changed; absent when the query was answered as typed. */
  correction?: { step: Exclude<Step, 'strict'>; query: string; dropped?: string[] };
}

interface Doc {
  id: string; article?: number | null; name: string; brand: string; category: string; price: number; currency: string;
  rating?: { average: number; count: number }; reviewSummary?: Partial<HitReviews>; image?: string | null;
}

/** The hit's review summary; a document indexed before item-etl knew summaries has none: no reviews. */
const hitReviews = (r: Partial<HitReviews> | undefined): HitReviews => ({
  count: r?.count ?? 0, score: r?.score ?? 0, praised: r?.praised ?? [], criticized: r?.criticized ?? [],
});
interface Terms { values: { buckets: { key: string; doc_count: number }[] } }
interface Ranges { values: { buckets: { from?: number; to?: number; doc_count: number }[] } }
type Aggs = { category: Terms; brand: Terms; price: Ranges };

/** The public URL of an indexed image key (`items/<itemId>/<imageId>/original`): its thumbnail through the facade. */
export function imageUrl(key: string | null | undefined): string | null {
  const m = key ? /^items\/([0-9a-f-]{36})\/([0-9a-f-]{36})\/original$/.exec(key) : null;
  return m ? `/api/images/${m[1]}/${m[2]}?size=thumb` : null;
}

interface Candidate { step: Exclude<Step, 'strict'>; plan: TextPlan }

export class SearchService {
  readonly #es: Client;
  readonly #alias: string;
  readonly #synonyms: () => SynonymRules;
  readonly #lemmas: Lemmatizer | undefined;
  readonly #brands: BrandList | undefined;
  #stemIndex: { rules: SynonymRules; index: Promise<StemIndex> } | undefined;

  constructor(es: Client, alias: string, synonyms: () => SynonymRules, lemmas?: Lemmatizer, brands?: BrandList) {
    this.#es = es;
    this.#alias = alias;
    this.#synonyms = synonyms;
    this.#lemmas = lemmas;
    this.#brands = brands;
  }

  /** The rules' stem index, built once per version of the rules (again after a failure). */
  #index(rules: SynonymRules): Promise<StemIndex> | undefined {
    if (!this.#lemmas) return undefined;
    if (this.#stemIndex?.rules !== rules) {
      const index = stemIndex(rules, (w) => this.#lemmas!.stems(w));
      this.#stemIndex = { rules, index };
      index.catch(() => {
        if (this.#stemIndex?.index === index) this.#stemIndex = undefined;
      });
    }
    return this.#stemIndex.index;
  }

  /** The words of `text` in units, synonyms matched on any form of the words. */
  async plan(text: string, mode: TextPlan['mode'] = 'strict'): Promise<TextPlan | undefined> {
    const w = words(text);
    if (!w.length) return undefined;
    const rules = this.#synonyms();
    const index = this.#index(rules);
    const stemmed = index && this.#lemmas ? { index: await index, stems: await this.#lemmas.stems(w) } : undefined;
    return { text: normalizeText(text), units: expand(w, rules, stemmed), mode, codes: queryCodes(w) };
  }

  async search(p: SearchParams): Promise<SearchResult> {
    const strict = p.q ? await this.plan(p.q) : undefined;
    // A query of punctuation only ("*", "\"") asks for nothing: it finds nothing (it does not browse).
    if (p.q && !strict) return emptyResult(p);
    const first = await this.#run(p, strict);
    if (!strict || first.total > 0) return first;

    const candidates = await this.#fallbacks(strict);
    if (!candidates.length) return first;
    // One round trip: the fallback probes, and whether each typed word (and its re-typed form) is in the index.
    const tokens = queryTokens(strict.text);
    const vocabulary = tokens.flatMap((t) => [t.typed, ...(t.layout ? [t.layout] : [])]);
    // Synonyms count ("ntktajy" is "телефон", which the catalog may only know as "смартфон"); the stems of all forms in one call.
    await this.#lemmas?.stems([...new Set(vocabulary.flat())]);
    const forms = await Promise.all(vocabulary.map((w) => this.plan(w.join(' '))));
    const responses = await this.#msearch([
      ...candidates.map((c) => ({ body: buildProbe(p, c.plan), suggestFor: c.plan.mode === 'fuzzy' ? c.plan.text : undefined })),
      ...forms.map((plan) => ({ body: existsProbe(plan!) })),
    ]);
    const probes = responses.slice(0, candidates.length);
    const known = new Map(vocabulary.map((w, i) => [w.join(' '), total(responses[candidates.length + i]!) > 0]));

    // Word by word: a word not in the index is re-typed in the other layout when that form is, or
    // replaced by the index's brand it spells in the other alphabet ("rhjccjdrb nike", "кроссовки найк").
    const rewrite = await this.#rewrite(tokens, known);
    const rewritten = rewrite && rewrite.text !== candidates.find((c) => c.step === 'layout')?.plan.text ? await this.plan(rewrite.text) : undefined;
    if (rewrite && rewritten) {
      const result = await this.#run(p, rewritten);
      if (result.total > 0) return { ...result, didYouMean: rewritten.text, correction: { step: rewrite.step, query: rewritten.text } };
    }

    let chosen = { candidates, probes, base: strict, index: probes.findIndex((r) => total(r) > 0) };
    // When only dropping words helps, drop them from the rewritten query: it keeps the words it put right
    // ("филипс бритва" without razors → "philips", not nothing).
    if (rewritten && (chosen.index < 0 || candidates[chosen.index]!.step === 'relaxed')) {
      const relaxed: Candidate[] = relaxations(rewritten.units).map((keep) => ({ step: 'relaxed', plan: { ...rewritten, units: keep, mode: 'fuzzy' } }));
      const found = relaxed.length ? await this.#msearch(relaxed.map((c) => ({ body: buildProbe(p, c.plan) }))) : [];
      const index = found.findIndex((r) => total(r) > 0);
      if (index >= 0) chosen = { candidates: relaxed, probes: found, base: rewritten, index };
    }
    if (chosen.index < 0) return first;
    const { step, plan } = chosen.candidates[chosen.index]!;
    const probe = chosen.probes[chosen.index]!;
    const result = await this.#run(p, plan);
    if (result.total === 0) return first; // the index changed between the two requests
    const corrected = step === 'typo' || step === 'layout_typo' ? correctTypos(plan.text, probe) : plan.text;
    if (step === 'relaxed') {
      const kept = new Set(plan.units);
      const dropped = chosen.base.units.filter((u) => !kept.has(u)).flatMap((u) => u.words);
      return { ...result, correction: { step, query: plan.units.flatMap((u) => u.words).join(' '), dropped } };
    }
    return { ...result, didYouMean: corrected, correction: { step, query: corrected } };
  }

  async #fallbacks(strict: TextPlan): Promise<Candidate[]> {
    const layoutText = switchLayout(strict.text);
    const layout = layoutText ? await this.plan(layoutText) : undefined;
    const list: Candidate[] = [];
    if (layout) list.push({ step: 'layout', plan: layout });
    list.push({ step: 'typo', plan: { ...strict, mode: 'fuzzy' } });
    if (layout) list.push({ step: 'layout_typo', plan: { ...layout, mode: 'fuzzy' } });
    for (const keep of relaxations(strict.units)) list.push({ step: 'relaxed', plan: { ...strict, units: keep, mode: 'fuzzy' } });
    return list;
  }

  /**
   * The query with each word the index does not hold replaced: by the word re-typed in the other
   * keyboard layout when the index holds that, else (alone or with its neighbours) by a brand of the
   * index it spells in the other alphabet, as typed (or re-typed, when another word of the query was
   * on the wrong layout). Undefined when nothing changes.
   */
  async #rewrite(tokens: QueryToken[], known: Map<string, boolean>): Promise<{ text: string; step: 'layout' | 'transliteration' } | undefined> {
    const out: (string[] | undefined)[] = tokens.map((t) => {
      if (known.get(t.typed.join(' '))) return t.typed;
      // A re-typed form of one letter ("b" → "и") says nothing.
      return t.layout && t.layout.join('').length > 1 && known.get(t.layout.join(' ')) ? t.layout : undefined;
    });
    let step: 'layout' | 'transliteration' = 'layout';
    // Another word was on the wrong layout: a brand's sound may be too ("rjycnhernjh ktuj" → "конструктор лего" → LEGO).
    const wrongLayout = out.some((w, i) => w && w === tokens[i]!.layout);
    if (out.includes(undefined)) {
      const brands = await this.#brands?.keys();
      for (let i = 0; brands && i < tokens.length; i++) {
        if (out[i]) continue;
        for (let n = Math.min(brands.longest, tokens.length - i); n >= 1; n--) {
          const span = tokens.slice(i, i + n);
          if (span.some((t) => t.typed.length !== 1)) continue;
          // Re-typed only when another word shows the layout was wrong: re-typed gibberish sounds like
          // some brand far too often ("qwerty" → "йцукен" → Askona).
          const brand = brands.match(span.map((t) => t.typed[0]!))
            ?? (wrongLayout && span.every((t) => t.layout?.length === 1) ? brands.match(span.map((t) => t.layout![0]!)) : undefined);
          if (!brand) continue;
          out[i] = brand;
          for (let j = 1; j < n; j++) out[i + j] = [];
          step = 'transliteration';
          break;
        }
      }
    }
    const changed = out.some((w, i) => w && w !== tokens[i]!.typed);
    if (!changed) return undefined;
    return { text: out.map((w, i) => w ?? tokens[i]!.typed).flat().join(' '), step };
  }

  async #run(p: SearchParams, plan: TextPlan | undefined): Promise<SearchResult> {
    const res = await this.#es.search<Doc, Aggs>({ index: this.#alias, ...buildSearch(p, plan) }).catch(this.#missingIndex);
    return toResult(p, res);
  }

  /** Several requests in one round trip; typo probes also ask for term suggestions (the didYouMean text). */
  async #msearch(requests: { body: estypes.SearchRequest; suggestFor?: string }[]): Promise<estypes.SearchResponse<unknown>[]> {
    const searches: estypes.MsearchRequestItem[] = [];
    for (const { body, suggestFor } of requests) {
      searches.push({ index: this.#alias });
      const suggest = suggestFor ? { text: suggestFor, fix: { term: { field: 'name.exact', suggest_mode: 'missing', min_word_length: 4, sort: 'score' } } } : undefined;
      searches.push({ ...body, ...(suggest ? { suggest } : {}) } as estypes.MsearchMultisearchBody);
    }
    const res = await this.#es.msearch<unknown>({ searches }).catch(this.#missingIndex);
    return res.responses.map((r) => {
      if ('error' in r) throw Object.assign(new Error(`search probe failed: ${r.error.type}: ${r.error.reason ?? ''}`), { statusCode: 502 });
      return r as estypes.SearchResponse<unknown>;
    });
  }

  readonly #missingIndex = (err: { meta?: { statusCode?: number } }): never => {
    if (err.meta?.statusCode === 404) throw new HttpProblem(503, `the search index '${this.#alias}' does not exist yet (item-etl creates it)`);
    throw err;
  };
}

/** A whitespace-separated part of the query: its words as typed and as re-typed in the other layout. */
interface QueryToken { typed: string[]; layout?: string[] }

function queryTokens(text: string): QueryToken[] {
  return text.split(' ').flatMap((raw) => {
    const typed = words(raw);
    if (!typed.length) return [];
    const other = typed.every((w) => /^[\p{N}.,-]+$/u.test(w)) ? null : switchLayout(raw);
    const layout = other ? words(other) : [];
    return [{ typed, ...(layout.length ? { layout } : {}) }];
  });
}

/** Does the index hold these words (each somewhere, strictly, synonyms included), whatever the filters? At most one hit is counted. */
const existsProbe = (plan: TextPlan): estypes.SearchRequest => ({
  ...buildProbe({ sort: 'relevance', page: 1, size: 1 }, plan), size: 0, track_total_hits: 1, terminate_after: 1,
});

/**
 * Which words matter least, in the order they are given up: number-only words ("17" in "iphone
 * 17"), then one- and two-letter words, then from the end of the query (shoppers put the thing
 * first and its details after it).
 */
export function dropOrder(units: QueryUnit[]): number[] {
  const rank = (u: QueryUnit) => (u.words.every((w) => /^[\p{N}.,-]+$/u.test(w)) ? 0 : u.words.join('').length <= 2 ? 1 : 2);
  return units.map((u, i) => ({ i, r: rank(u) })).sort((a, b) => a.r - b.r || b.i - a.i).map((e) => e.i);
}

/** The relaxed queries to try, best first: each one word fewer (least important first), then only the most important half. */
function relaxations(units: QueryUnit[]): QueryUnit[][] {
  if (units.length < 2) return [];
  const order = dropOrder(units);
  const list = order.map((drop) => units.filter((_, i) => i !== drop));
  const half = Math.floor(units.length / 2);
  if (half >= 2) list.push(units.filter((_, i) => !order.slice(0, half).includes(i)));
  return list;
}

const total = (r: estypes.SearchResponse<unknown>) => (typeof r.hits.total === 'number' ? r.hits.total : (r.hits.total?.value ?? 0));

/** The query with each misspelled word replaced by the best term suggestion the probe returned. */
function correctTypos(text: string, probe: estypes.SearchResponse<unknown>): string {
  const entries = (probe.suggest?.fix ?? []) as estypes.SearchTermSuggest[];
  const fixes = new Map<string, string>();
  for (const e of entries) {
    const options = Array.isArray(e.options) ? e.options : [e.options];
    if (options[0]) fixes.set(e.text, options[0].text);
  }
  return words(text).map((w) => fixes.get(w) ?? w).join(' ');
}

const emptyResult = (p: SearchParams): SearchResult => ({ total: 0, page: p.page, size: p.size, items: [], facets: { category: [], brand: [], price: [] } });

function toResult(p: SearchParams, res: estypes.SearchResponse<Doc, Aggs>): SearchResult {
  const aggs = res.aggregations!;
  return {
    total: total(res as estypes.SearchResponse<unknown>),
    page: p.page,
    size: p.size,
    items: res.hits.hits.map(({ _source: d, highlight }) => ({
      id: d!.id, article: d!.article ?? null, name: d!.name, brand: d!.brand, category: d!.category, price: Number(d!.price).toFixed(2), currency: d!.currency,
      rating: d!.rating ?? { average: 0, count: 0 }, reviewSummary: hitReviews(d!.reviewSummary), image: imageUrl(d!.image), highlight: highlight ?? {},
    })),
    facets: {
      category: aggs.category.values.buckets.map((b) => ({ value: b.key, count: b.doc_count })),
      brand: aggs.brand.values.buckets.map((b) => ({ value: b.key, count: b.doc_count })),
      price: aggs.price.values.buckets.map((b, i) => ({ from: b.from ?? PRICE_RANGES[i]?.from ?? null, to: b.to ?? PRICE_RANGES[i]?.to ?? null, count: b.doc_count })),
    },
  };
}

/**
 * As-you-type suggestions from the second letter on: popular queries (Redis), categories (the
 * `categories` index kept by item-etl) and items (word prefixes of the name through
 * `index_prefixes`, falling back to the typo-tolerant completion suggester). The input is also
 * tried re-typed in the other keyboard layout ("yjen" → "ноут"). One `_msearch`, one Redis call.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { normalizeText, switchLayout, words } from '../text.ts';
import type { PopularQueries } from './popular.ts';

export const SUGGEST_MIN_CHARS = 2;
export const SUGGEST_LIMITS = { query: 4, category: 3, item: 6 };

export interface Suggestion { text: string; kind: 'query' | 'item' | 'category'; id?: string }

/** One typo in a prefix of 4+ letters, counted in letters (not UTF-8 bytes: Cyrillic letters are two). */
const FUZZY = { fuzziness: 1, prefix_length: 1, unicode_aware: true };

interface ItemDoc { id: string; name: string; status?: string }
interface CategoryDoc { slug: string; nameRu: string; nameEn: string }

/** The text as typed and, when it reads as the other layout, re-typed (both lowercased, normalized). */
export function variants(q: string): string[] {
  const typed = normalizeText(q).toLowerCase();
  const other = switchLayout(typed);
  return other && other !== typed ? [typed, other] : [typed];
}

function itemRequest(prefix: string): estypes.MsearchMultisearchBody {
  // Completion fuzziness only once there are enough letters to tell a typo from another word.
  const fuzzy = prefix.length >= 4 ? FUZZY : undefined;
  return {
    size: SUGGEST_LIMITS.item,
    _source: ['id', 'name', 'status'],
    query: {
      function_score: {
        query: {
          bool: {
            must: [{ match_bool_prefix: { 'name.prefix': { query: prefix, operator: 'and' } } }],
            filter: [{ term: { status: 'active' } }],
          },
        },
        functions: [{ field_value_factor: { field: 'rating.count', modifier: 'log2p', missing: 0 } }],
        boost_mode: 'sum',
      },
    },
    sort: [{ _score: { order: 'desc' } }, { id: 'asc' }],
    suggest: { complete: { prefix, completion: { field: 'suggest', size: SUGGEST_LIMITS.item * 2, skip_duplicates: true, ...(fuzzy ? { fuzzy } : {}) } } },
  };
}

function categoryRequest(prefix: string): estypes.MsearchMultisearchBody {
  return {
    size: 0,
    suggest: {
      complete: {
        prefix,
        completion: { field: 'suggest', size: SUGGEST_LIMITS.category, skip_duplicates: true, ...(prefix.length >= 4 ? { fuzzy: FUZZY } : {}) },
      },
    },
  };
}

/** The `_msearch` body for the prefixes: per prefix, the item request then the category request. */
export function suggestSearches(prefixes: string[], itemsAlias: string, categoriesIndex: string): estypes.MsearchRequestItem[] {
  return prefixes.flatMap((prefix) => [
    { index: itemsAlias }, itemRequest(prefix),
    { index: categoriesIndex, ignore_unavailable: true }, categoryRequest(prefix),
  ]);
}

type CompletionOption<T> = { text: string; _id?: string; _source?: T };
function completions<T>(res: estypes.MsearchResponseItem<unknown> | undefined): CompletionOption<T>[] {
  if (!res || 'error' in res) return [];
  const entries = (res.suggest?.complete ?? []) as estypes.SearchCompletionSuggest<T>[];
  return entries.flatMap((e) => (Array.isArray(e.options) ? e.options : [e.options]) as CompletionOption<T>[]);
}

export class SuggestService {
  readonly #es: Client;
  readonly #itemsAlias: string;
  readonly #categoriesIndex: string;
  readonly #popular: PopularQueries;
  readonly #onPopularError: (err: Error) => void;

  constructor(options: { es: Client; itemsAlias: string; categoriesIndex: string; popular: PopularQueries; onPopularError: (err: Error) => void }) {
    this.#es = options.es;
    this.#itemsAlias = options.itemsAlias;
    this.#categoriesIndex = options.categoriesIndex;
    this.#popular = options.popular;
    this.#onPopularError = options.onPopularError;
  }

  async suggest(q: string): Promise<Suggestion[]> {
    if (words(q).join('').length < SUGGEST_MIN_CHARS) return [];
    const prefixes = variants(q);
    const searches = suggestSearches(prefixes, this.#itemsAlias, this.#categoriesIndex);
    const [es, popular] = await Promise.all([
      this.#es.msearch<unknown>({ searches }),
      Promise.all(prefixes.map((p) => this.#popular.complete(p, SUGGEST_LIMITS.query))).catch((err: Error) => {
        this.#onPopularError(err); // Redis down: suggestions without popular queries
        return [] as string[][];
      }),
    ]);

    const out: Suggestion[] = [];
    const seen = new Set<string>();
    const add = (s: Suggestion, limit: number) => {
      const key = `${s.kind}:${s.id ?? s.text.toLowerCase()}`;
      if (seen.has(key) || out.filter((o) => o.kind === s.kind).length >= limit) return;
      seen.add(key);
      out.push(s);
    };
    for (const text of popular.flat()) add({ text, kind: 'query' }, SUGGEST_LIMITS.query);
    for (let i = 0; i < prefixes.length; i++) {
      for (const o of completions<CategoryDoc>(es.responses[i * 2 + 1])) {
        // The category's own name in the language the matched text was in (inputs include word tails).
        if (o._source) add({ text: /[а-яё]/i.test(o.text) ? o._source.nameRu : o._source.nameEn, kind: 'category', id: o._source.slug }, SUGGEST_LIMITS.category);
      }
    }
    for (let i = 0; i < prefixes.length; i++) {
      const res = es.responses[i * 2];
      if (!res || 'error' in res) continue;
      const hits = (res as estypes.SearchResponse<ItemDoc>).hits.hits;
      for (const h of hits) add({ text: h._source!.name, kind: 'item', id: h._source!.id }, SUGGEST_LIMITS.item);
      if (hits.length) continue;
      // No word starts like this: the completion suggester forgives a typo in the prefix.
      for (const o of completions<ItemDoc>(res)) {
        if (o._source && (o._source.status ?? 'active') === 'active') add({ text: o._source.name, kind: 'item', id: o._source.id }, SUGGEST_LIMITS.item);
      }
    }
    return out;
  }
}

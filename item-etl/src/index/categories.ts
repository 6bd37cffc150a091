/**
 * The `categories` index: one small document per category with a completion field, so the search
 * service can suggest categories as the shopper types ("ноут" → "Ноутбуки", "lap" → "Laptops").
 * The category table changes only by migration; the ETL copies it at start and every few minutes
 * (CATEGORY_SYNC_MS), indexing every row and deleting documents whose category is gone.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { normalizeText } from '../documents/document.ts';
import type { CategoryRow } from '../repositories/catalog.ts';

const settings: estypes.IndicesIndexSettings = {
  number_of_shards: 1,
  auto_expand_replicas: '0-1',
  analysis: { analyzer: { category_suggest: { type: 'custom', tokenizer: 'standard', filter: ['lowercase'] } } },
};

const mappings: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    slug: { type: 'keyword' },
    nameRu: { type: 'keyword', index: false },
    nameEn: { type: 'keyword', index: false },
    parent: { type: 'keyword' },
    /** Both names, and each from every word on ("беговые кроссовки" is found by "кросс" too). */
    suggest: { type: 'completion', analyzer: 'category_suggest', preserve_separators: true, max_input_length: 100 },
  },
};

/** Completion inputs of a name: the whole name and its tails from each word ("Running shoes", "shoes"). */
export function suggestInputs(...names: string[]): string[] {
  const inputs = new Set<string>();
  for (const name of names) {
    const words = normalizeText(name).split(' ').filter(Boolean);
    for (let i = 0; i < words.length; i++) inputs.add(words.slice(i).join(' '));
  }
  return [...inputs];
}

export async function syncCategories(es: Client, index: string, rows: CategoryRow[]): Promise<{ indexed: number; deleted: number }> {
  if (!(await es.indices.exists({ index }))) {
    await es.indices.create({ index, settings, mappings }).catch((err: { meta?: { body?: { error?: { type?: string } } } }) => {
      if (err.meta?.body?.error?.type !== 'resource_already_exists_exception') throw err;
    });
  }
  const existing = await es.search<{ slug: string }>({ index, size: 10_000, _source: ['slug'], query: { match_all: {} } });
  const keep = new Set(rows.map((r) => r.slug));
  const stale = existing.hits.hits.map((h) => h._id!).filter((id) => !keep.has(id));
  const operations: unknown[] = [];
  for (const r of rows) {
    operations.push({ index: { _index: index, _id: r.slug } }, {
      slug: r.slug, nameRu: r.nameRu, nameEn: r.nameEn, parent: r.parentSlug,
      // Leaves first: a shopper typing "кроссовки" wants "Беговые кроссовки" more than the whole "Одежда и обувь".
      suggest: { input: suggestInputs(r.nameRu, r.nameEn), weight: r.parentSlug ? 2 : 1 },
    });
  }
  for (const id of stale) operations.push({ delete: { _index: index, _id: id } });
  if (operations.length) {
    const res = await es.bulk({ operations, refresh: true });
    if (res.errors) {
      const failed = res.items.find((i) => Object.values(i)[0]?.error);
      throw new Error(`category sync failed: ${JSON.stringify(Object.values(failed ?? {})[0]?.error)}`);
    }
  }
  return { indexed: rows.length, deleted: stale.length };
}

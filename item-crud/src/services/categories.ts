import { badRequest } from '@shop/kit';
import type { Category, CategoryRepository } from '../repositories/categories.ts';

export type Lang = 'ru' | 'en';

export interface CategoryNode {
  slug: string;
  name: string;
  nameRu: string;
  nameEn: string;
  parent: string | null;
  children: CategoryNode[];
}

interface Snapshot {
  rows: Category[];
  bySlug: Map<string, Category>;
  childrenOf: Map<string, Category[]>;
  loadedAt: number;
}

/** The category tree, cached in memory (it changes only with a migration). */
export class CategoryService {
  readonly #repo: CategoryRepository;
  readonly #ttlMs: number;
  #snapshot: Snapshot | undefined;
  #loading: Promise<Snapshot> | undefined;

  constructor(repo: CategoryRepository, ttlMs = 60_000) {
    this.#repo = repo;
    this.#ttlMs = ttlMs;
  }

  async #load(force = false): Promise<Snapshot> {
    if (!force && this.#snapshot && Date.now() - this.#snapshot.loadedAt < this.#ttlMs) return this.#snapshot;
    this.#loading ??= this.#repo.all().then((rows) => {
      const childrenOf = new Map<string, Category[]>();
      for (const row of rows) {
        if (row.parentSlug === null) continue;
        const siblings = childrenOf.get(row.parentSlug) ?? [];
        siblings.push(row);
        childrenOf.set(row.parentSlug, siblings);
      }
      this.#snapshot = { rows, bySlug: new Map(rows.map((r) => [r.slug, r])), childrenOf, loadedAt: Date.now() };
      return this.#snapshot;
    }).finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async tree(lang: Lang): Promise<CategoryNode[]> {
    const { rows, childrenOf } = await this.#load();
    const node = (c: Category): CategoryNode => ({
      slug: c.slug,
      name: lang === 'en' ? c.nameEn : c.nameRu,
      nameRu: c.nameRu,
      nameEn: c.nameEn,
      parent: c.parentSlug,
      children: (childrenOf.get(c.slug) ?? []).map(node),
    });
    return rows.filter((c) => c.parentSlug === null).map(node);
  }

  /** The slugs of the leaf categories (the ones items go into). */
  async leafSlugs(): Promise<string[]> {
    const { rows, childrenOf } = await this.#load();
    return rows.filter((c) => !childrenOf.has(c.slug)).map((c) => c.slug);
  }

  /** Throws a 400 naming the slug unless it is an existing leaf category (items live only in leaves). */
  async assertLeaf(slug: string): Promise<void> {
    let snapshot = await this.#load();
    // Added since the cache was filled? Re-read, but at most once a second (unknown slugs are cheap to send).
    if (!snapshot.bySlug.has(slug) && Date.now() - snapshot.loadedAt > 1_000) snapshot = await this.#load(true);
    const category = snapshot.bySlug.get(slug);
    if (!category) {
      throw badRequest(`Unknown category '${slug}'`, [{ location: 'body', pointer: '/category', message: `unknown category '${slug}'` }]);
    }
    const children = snapshot.childrenOf.get(slug);
    if (children?.length) {
      const choices = children.map((c) => c.slug).join(', ');
      throw badRequest(`Category '${slug}' is not a leaf category; use one of its subcategories: ${choices}`, [
        { location: 'body', pointer: '/category', message: `'${slug}' has subcategories (${choices}); items go into a leaf category` },
      ]);
    }
  }
}

/**
 * The versioned item indices behind the search alias.
 *
 *   <alias>            the alias search reads: exactly one complete index at any time
 *   <alias>-targets    the indices every write goes to: the alias's index, plus the index a
 *                      rebuild is filling (dual-write), so the new index misses no live change
 *   <alias>-v<ms>      the versioned indices themselves
 *   <alias>-v<ms>-w    each index's own write alias
 *   <alias>-meta       small lock documents (bootstrap, rebuild)
 *
 * Writes go to the targets' write aliases with `require_alias` and carry `version_type: external`
 * with the item's version, so the backfill and the dual-written live stream converge whatever their
 * order. Why write aliases: a write to a concrete index name that was just deleted (the old index
 * after a swap) would make Elasticsearch auto-create a new index of that name with a dynamic
 * mapping; with `require_alias` the write fails instead and is retried with fresh targets.
 * (Deletes ignore `require_alias`: bulkWrite notices an auto-created index and removes it.)
 */
import { randomUUID } from 'node:crypto';
import type { Client, estypes } from '@elastic/elasticsearch';
import { itemIndexSettings, itemMappings } from './mapping.ts';

/** Resolves after `ms`, or at once when `signal` aborts. */
export const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (signal?.aborted) return resolve();
  const done = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', done);
    resolve();
  };
  const timer = setTimeout(done, ms);
  signal?.addEventListener('abort', done, { once: true });
});

const status = (err: unknown): number | undefined => (err as { meta?: { statusCode?: number } }).meta?.statusCode;
const errorType = (err: unknown): string | undefined =>
  (err as { meta?: { body?: { error?: { type?: string } } } }).meta?.body?.error?.type;

/** The write alias of a versioned index (created with it, gone with it). */
export const writeAlias = (index: string) => `${index}-w`;

export interface LockDoc { owner: string; expiresAt: number }

type Properties = Record<string, estypes.MappingProperty>;
const subProperties = (p: estypes.MappingProperty | undefined): Properties | undefined => (p as { properties?: Properties } | undefined)?.properties;

/**
 * The fields of `want` that `have` lacks, as a mapping update (putMapping merges it) and as dotted names: whole
 * fields, and sub-fields of an object both have (`reviewSummary.positiveShare` added to an older `reviewSummary`).
 * A field both have is never changed: an open index refuses other changes, and a rebuild makes a fresh index.
 */
export function missingProperties(want: Properties, have: Properties, prefix = ''): { properties: Properties; fields: string[] } {
  const properties: Properties = {};
  const fields: string[] = [];
  for (const [name, mapping] of Object.entries(want)) {
    if (!(name in have)) {
      properties[name] = mapping;
      fields.push(`${prefix}${name}`);
      continue;
    }
    const wantSub = subProperties(mapping);
    const haveSub = subProperties(have[name]);
    if (!wantSub || !haveSub) continue;
    const inner = missingProperties(wantSub, haveSub, `${prefix}${name}.`);
    if (inner.fields.length) {
      const type = (mapping as { type?: string }).type;
      properties[name] = { ...(type ? { type } : {}), properties: inner.properties } as estypes.MappingProperty;
      fields.push(...inner.fields);
    }
  }
  return { properties, fields };
}

export class IndexLifecycle {
  readonly es: Client;
  readonly alias: string;
  readonly targetsAlias: string;
  readonly metaIndex: string;
  readonly refreshInterval: string;
  /** How long the write targets are cached by `targets()`. A rebuild waits longer than this after changing them. */
  readonly targetsCacheMs: number;
  #targets: { indices: string[]; at: number } | undefined;

  constructor(es: Client, options: { alias: string; refreshInterval: string; targetsCacheMs?: number }) {
    this.es = es;
    this.alias = options.alias;
    this.targetsAlias = `${options.alias}-targets`;
    this.metaIndex = `${options.alias}-meta`;
    this.refreshInterval = options.refreshInterval;
    this.targetsCacheMs = options.targetsCacheMs ?? 1_000;
  }

  /** True for the alias's versioned index names. */
  isVersionedIndex(name: string): boolean {
    return name.startsWith(`${this.alias}-v`) && /^\d+$/.test(name.slice(this.alias.length + 2));
  }

  /** A concrete index named like a write alias: only ever made by an auto-create, always garbage. */
  isStrayIndex(name: string): boolean {
    return name.endsWith('-w') && this.isVersionedIndex(name.slice(0, -2));
  }

  /** Indices an alias points at (none when it does not exist). */
  async aliasIndices(name: string): Promise<string[]> {
    try {
      const res = await this.es.indices.getAlias({ name });
      return Object.keys(res).sort();
    } catch (err) {
      if (status(err) === 404) return [];
      throw err;
    }
  }

  /** The index search reads now. */
  async liveIndex(): Promise<string | undefined> {
    const indices = await this.aliasIndices(this.alias);
    return indices.at(-1);
  }

  /**
   * The indices every write must go to, cached at most `targetsCacheMs`. Without a targets alias
   * (an index made by hand) the alias's own index is the target.
   */
  async targets(options: { fresh?: boolean } = {}): Promise<string[]> {
    const cached = this.#targets;
    if (!options.fresh && cached && Date.now() - cached.at < this.targetsCacheMs) return cached.indices;
    let indices = await this.aliasIndices(this.targetsAlias);
    if (indices.length === 0) indices = await this.aliasIndices(this.alias);
    if (indices.length === 0) throw new Error(`neither ${this.targetsAlias} nor ${this.alias} exists: ensureIndex() has not run`);
    await this.#ensureWriteAliases(indices);
    this.#targets = { indices, at: Date.now() };
    return indices;
  }

  /** Gives every index its write alias (indices made before write aliases existed, or by hand). */
  async #ensureWriteAliases(indices: string[]): Promise<void> {
    const aliases = await this.es.indices.getAlias({ index: indices.join(',') });
    const missing = indices.filter((i) => !aliases[i]?.aliases?.[writeAlias(i)]);
    if (missing.length) await this.es.indices.updateAliases({ actions: missing.map((index) => ({ add: { index, alias: writeAlias(index) } })) });
  }

  /**
   * Adds the fields the current mapping has and an older index lacks — new fields, and new sub-fields of an object
   * field it has (`missingProperties`): adding fields is the one mapping change an open index accepts — so
   * documents of the current shape can be written to it under `dynamic: strict`. Documents indexed before the
   * upgrade gain the field only when rewritten: a rebuild fills them all. Returns the fields added per index
   * (dotted names for sub-fields).
   */
  async upgradeMappings(indices: string[]): Promise<Record<string, string[]>> {
    const current = await this.es.indices.getMapping({ index: indices.join(',') });
    const added: Record<string, string[]> = {};
    for (const index of indices) {
      const { properties, fields } = missingProperties(itemMappings.properties ?? {}, current[index]?.mappings.properties ?? {});
      if (!fields.length) continue;
      await this.es.indices.putMapping({ index, properties });
      added[index] = fields;
    }
    return added;
  }

  invalidateTargets(): void {
    this.#targets = undefined;
  }

  /** Creates a new empty versioned index (name `<alias>-v<epoch ms>`), optionally with aliases. */
  async createIndex(options: { refreshInterval?: string; aliases?: string[] } = {}): Promise<string> {
    for (let ts = Date.now(); ; ts++) {
      const index = `${this.alias}-v${ts}`;
      try {
        await this.es.indices.create({
          index,
          settings: itemIndexSettings(options.refreshInterval ?? this.refreshInterval),
          mappings: itemMappings,
          aliases: Object.fromEntries([writeAlias(index), ...(options.aliases ?? [])].map((a) => [a, {}])),
          wait_for_active_shards: 1,
        });
        return index;
      } catch (err) {
        if (errorType(err) !== 'resource_already_exists_exception') throw err;
      }
    }
  }

  /**
   * Makes sure the alias exists, creating the first versioned index behind it (and the targets
   * alias) in one request. Race-safe: several processes starting at once take a lock document in
   * `<alias>-meta` first; the others wait for the alias the winner creates.
   */
  async ensureIndex(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const owner = randomUUID();
    for (;;) {
      const live = await this.liveIndex();
      if (live) {
        if ((await this.aliasIndices(this.targetsAlias)).length === 0) {
          await this.es.indices.putAlias({ index: live, name: this.targetsAlias });
        }
        await this.upgradeMappings(await this.targets({ fresh: true })); // targets() gives older indices their write alias
        return live;
      }
      if (await this.acquireLock('bootstrap', owner, 30_000)) {
        try {
          const again = await this.liveIndex();
          if (again) continue;
          return await this.createIndex({ aliases: [this.alias, this.targetsAlias] });
        } finally {
          await this.releaseLock('bootstrap', owner);
        }
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for another process to create ${this.alias}`);
      await sleep(250);
    }
  }

  async #ensureMetaIndex(): Promise<void> {
    try {
      await this.es.indices.create({
        index: this.metaIndex,
        settings: { number_of_shards: 1, auto_expand_replicas: '0-1' },
        mappings: { dynamic: false, properties: { owner: { type: 'keyword' }, expiresAt: { type: 'long' } } },
      });
    } catch (err) {
      if (errorType(err) !== 'resource_already_exists_exception') throw err;
    }
  }

  /** Takes the named lock for `ttlMs` (or takes it over when its holder let it expire). */
  async acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    await this.#ensureMetaIndex();
    const document: LockDoc = { owner, expiresAt: Date.now() + ttlMs };
    try {
      await this.es.create({ index: this.metaIndex, id: name, document });
      return true;
    } catch (err) {
      if (status(err) !== 409) throw err;
    }
    const current = await this.#readLock(name);
    if (!current) return false; // released meanwhile: the caller retries
    if (current.doc.expiresAt > Date.now() && current.doc.owner !== owner) return false;
    try {
      await this.es.index({ index: this.metaIndex, id: name, document, if_seq_no: current.seqNo, if_primary_term: current.primaryTerm });
      return true;
    } catch (err) {
      if (status(err) === 409) return false;
      throw err;
    }
  }

  /** Extends a lock this owner holds; false when it was lost. */
  async extendLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const current = await this.#readLock(name);
    if (!current || current.doc.owner !== owner) return false;
    try {
      await this.es.index({
        index: this.metaIndex, id: name, document: { owner, expiresAt: Date.now() + ttlMs },
        if_seq_no: current.seqNo, if_primary_term: current.primaryTerm,
      });
      return true;
    } catch (err) {
      if (status(err) === 409) return false;
      throw err;
    }
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    const current = await this.#readLock(name).catch(() => undefined);
    if (!current || current.doc.owner !== owner) return;
    await this.es.delete({ index: this.metaIndex, id: name, if_seq_no: current.seqNo, if_primary_term: current.primaryTerm }).catch(() => undefined);
  }

  async #readLock(name: string): Promise<{ doc: LockDoc; seqNo: number; primaryTerm: number } | undefined> {
    try {
      const res = await this.es.get<LockDoc>({ index: this.metaIndex, id: name });
      if (!res._source || res._seq_no === undefined || res._primary_term === undefined) return undefined;
      return { doc: res._source, seqNo: res._seq_no, primaryTerm: res._primary_term };
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  }

  async addTarget(index: string): Promise<void> {
    await this.es.indices.updateAliases({ actions: [{ add: { index, alias: this.targetsAlias } }] });
    this.invalidateTargets();
  }

  async removeTarget(index: string): Promise<void> {
    await this.es.indices.updateAliases({ actions: [{ remove: { index, alias: this.targetsAlias, must_exist: false } }] });
    this.invalidateTargets();
  }

  /**
   * The swap, in one atomic `_aliases` request: the alias and the write targets leave every
   * other index and point at `index` alone. A search before it sees the old index, after it the new.
   */
  async swap(index: string): Promise<string[]> {
    const previous = [...new Set([...(await this.aliasIndices(this.alias)), ...(await this.aliasIndices(this.targetsAlias))])].filter((i) => i !== index);
    const actions: estypes.IndicesUpdateAliasesAction[] = [
      ...previous.flatMap((i) => [
        { remove: { index: i, alias: this.alias, must_exist: false } },
        { remove: { index: i, alias: this.targetsAlias, must_exist: false } },
      ]),
      { add: { index, alias: this.alias } },
      { add: { index, alias: this.targetsAlias } },
    ];
    await this.es.indices.updateAliases({ actions });
    this.invalidateTargets();
    return previous;
  }

  /**
   * Versioned indices the alias does not serve: what a rebuild that died left behind (its new index,
   * possibly still a write target) or a late write re-created. Only meaningful under the rebuild
   * lock — otherwise a running rebuild's new index is one of them.
   */
  async leftoverIndices(): Promise<string[]> {
    const live = new Set(await this.aliasIndices(this.alias));
    const candidates = new Set([...(await this.versionedIndices({ stray: true })), ...(await this.aliasIndices(this.targetsAlias))]);
    return [...candidates].filter((i) => !live.has(i)).sort();
  }

  /** The versioned indices (and with `stray`, the auto-created garbage named like write aliases). */
  async versionedIndices(options: { stray?: boolean } = {}): Promise<string[]> {
    const res = await this.es.indices.get({ index: `${this.alias}-v*`, expand_wildcards: ['open', 'closed'], allow_no_indices: true, ignore_unavailable: true, filter_path: '*.settings.index.provided_name' });
    return Object.keys(res).filter((i) => this.isVersionedIndex(i) || (options.stray === true && this.isStrayIndex(i))).sort();
  }

  async deleteIndices(indices: string[]): Promise<void> {
    for (const index of indices) await this.es.indices.delete({ index, ignore_unavailable: true });
    this.invalidateTargets();
  }

  /** Everything this alias owns: every versioned index and the meta index (tests and teardown). */
  async dropAll(): Promise<void> {
    await this.deleteIndices([...await this.versionedIndices({ stray: true }), this.metaIndex]);
  }
}

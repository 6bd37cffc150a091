import { HttpProblem, badRequest, forbidden, notFound, preconditionFailed, problemType } from '@shop/kit';
import type { Identity, ItemEvent } from '@shop/contracts';
import type { ImageRecord, ImageRepository } from '../repositories/images.ts';
import type { ItemChanges, ItemRecord, ItemRepository, Tx } from '../repositories/items.ts';
import type { OutboxWriter } from '../repositories/outbox.ts';
import type { SellerRepository } from '../repositories/sellers.ts';
import type { CategoryService } from './categories.ts';
import { outboxRowFor } from './events.ts';
import type { ImageObjects } from './image-objects.ts';
import { normalizePrice } from './price.ts';
import { defaultDisplayName } from './sellers.ts';
import { toItemView, type ItemView } from './views.ts';

export type { ItemView };

export interface ItemInput {
  name: string;
  description?: string;
  brand: string;
  category: string;
  price: string | number;
  currency?: string;
  stock: number;
  attributes?: Record<string, string | number>;
}

export type ItemPatch = Partial<ItemInput>;

export interface ItemPage {
  items: ItemView[];
  page: number;
  size: number;
  total: number;
}

/** Test seams inside the write transaction (a thrown error rolls the item change and its outbox row back). */
export interface ItemHooks {
  beforeCommit?(event: ItemEvent): Promise<void> | void;
}

export interface ItemServiceDeps {
  items: ItemRepository;
  sellers: SellerRepository;
  outbox: OutboxWriter;
  categories: CategoryService;
  images: ImageRepository;
  /** Removes the objects of images whose rows a committed change deleted. */
  imageObjects: ImageObjects;
  hooks?: ItemHooks;
}

/**
 * `If-Match` as this API takes it: the item version, bare (`3`), quoted (`"3"`) or weak (`W/"3"`).
 * Missing is a 428 (updates must say which version they change), anything else unreadable a 400.
 */
export function parseIfMatch(header: string | undefined, required: boolean): number | null {
  if (header === undefined || header.trim() === '') {
    if (!required) return null;
    throw new HttpProblem(428, 'This request needs an If-Match header with the version being changed (the ETag of the item), e.g. If-Match: "3"', {
      type: problemType('precondition-required'),
    });
  }
  // The same form as the route schema's pattern: a version from 1, no leading zeros, at most 9 digits.
  const match = /^(?:W\/"([1-9]\d{0,8})"|"([1-9]\d{0,8})"|([1-9]\d{0,8}))$/.exec(header.trim());
  const version = Number(match?.[1] ?? match?.[2] ?? match?.[3]);
  if (!match) {
    throw badRequest('If-Match must be one item version, like "3"', [{ location: 'headers', pointer: '/if-match', message: 'must be an item version like "3"' }]);
  }
  return version;
}

const priceOrThrow = (input: string | number): string => {
  const result = normalizePrice(input);
  if (!result.ok) throw badRequest(`The price ${result.reason}`, [{ location: 'body', pointer: '/price', message: result.reason }]);
  return result.value;
};

export const MAX_ATTRIBUTE_TEXT = 500;
/** jsonb keeps numbers as decimals; beyond this a double read back may round (1.8e308 becomes Infinity). */
export const MAX_ATTRIBUTE_NUMBER = 1e15;

/** Attribute values: strings up to 500 characters or finite numbers (keys are checked by the route schema). */
const attributesOrThrow = (attributes: Record<string, unknown>): Record<string, string | number> => {
  const errors = Object.entries(attributes).flatMap(([key, value]) => {
    const pointer = `/attributes/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_ATTRIBUTE_NUMBER) return [];
    if (typeof value === 'string') return value.length <= MAX_ATTRIBUTE_TEXT ? [] : [{ location: 'body', pointer, message: `must be at most ${MAX_ATTRIBUTE_TEXT} characters` }];
    return [{ location: 'body', pointer, message: `must be a string or a number from -${MAX_ATTRIBUTE_NUMBER} to ${MAX_ATTRIBUTE_NUMBER}` }];
  });
  if (errors.length > 0) throw badRequest(`Attribute values must be strings (≤ ${MAX_ATTRIBUTE_TEXT} characters) or numbers: ${errors.map((e) => e.pointer).join(', ')}`, errors);
  return attributes as Record<string, string | number>;
};

/** 409: a seller may not take away units that reservations of orders being placed hold. */
export function stockBelowReserved(stock: number, reserved: number): HttpProblem {
  return new HttpProblem(409, `${reserved} units of this item are reserved for orders being placed; the stock cannot go below ${reserved} (asked for ${stock})`, {
    type: problemType('stock-below-reserved'), extensions: { reserved, requestedStock: stock },
  });
}

/** The item's seller or an admin. */
export const canManage = (identity: Identity, row: { sellerId: string }) => identity.role === 'admin' || (identity.role === 'seller' && row.sellerId === identity.id);

/** Deleted items are gone for everyone, hidden ones are seen by their seller and admins. */
export const isVisible = (row: { sellerId: string; status: string }, viewer: Identity | null) =>
  row.status === 'active' || (row.status === 'hidden' && viewer !== null && canManage(viewer, row));

/** Items: the rules of who may change what, versions, and one outbox event per committed change. */
export class ItemService {
  readonly #d: ItemServiceDeps;
  constructor(deps: ItemServiceDeps) {
    this.#d = deps;
  }

  async create(identity: Identity, input: ItemInput): Promise<ItemView> {
    const price = priceOrThrow(input.price);
    const attributes = attributesOrThrow(input.attributes ?? {});
    await this.#d.categories.assertLeaf(input.category);
    const row = await this.#d.items.transaction(async (tx) => {
      await this.#d.sellers.ensure(tx, identity.id, defaultDisplayName(identity.id));
      const created = await this.#d.items.insert(tx, {
        sellerId: identity.id,
        name: input.name,
        description: input.description ?? '',
        brand: input.brand,
        categorySlug: input.category,
        price,
        currency: input.currency ?? 'RUB',
        stock: input.stock,
        attributes,
      });
      await this.#record(tx, 'item.created', created);
      return created;
    });
    return toItemView(row);
  }

  /** A visible item (see isVisible). */
  async get(id: string, viewer: Identity | null): Promise<ItemView> {
    const row = await this.#d.items.findById(id);
    if (!row || !isVisible(row, viewer)) throw notFound(`No item with id ${id}`);
    return toItemView(row);
  }

  async list(query: { sellerId?: string; page: number; size: number }, viewer: Identity | null): Promise<ItemPage> {
    const ownListing = viewer && query.sellerId && (viewer.role === 'admin' || viewer.id === query.sellerId);
    const { rows, total } = await this.#d.items.list(
      { sellerId: query.sellerId, statuses: ownListing ? ['active', 'hidden'] : ['active'] },
      (query.page - 1) * query.size,
      query.size,
    );
    return { items: rows.map(toItemView), page: query.page, size: query.size, total };
  }

  async update(identity: Identity, id: string, expectedVersion: number, patch: ItemPatch): Promise<ItemView> {
    await this.#authorize(identity, id);
    const changes: ItemChanges = {};
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.description !== undefined) changes.description = patch.description;
    if (patch.brand !== undefined) changes.brand = patch.brand;
    if (patch.category !== undefined) {
      await this.#d.categories.assertLeaf(patch.category);
      changes.categorySlug = patch.category;
    }
    if (patch.price !== undefined) changes.price = priceOrThrow(patch.price);
    if (patch.currency !== undefined) changes.currency = patch.currency;
    if (patch.stock !== undefined) changes.stock = patch.stock;
    if (patch.attributes !== undefined) changes.attributes = attributesOrThrow(patch.attributes);
    return toItemView(await this.#change(id, expectedVersion, changes, 'item.updated'));
  }

  /**
   * Soft delete: status deleted, version + 1, and the item's image rows deleted, in one transaction; the
   * event carries that final snapshot (no images). After the commit the images' objects are removed.
   * Answers the new version.
   */
  async delete(identity: Identity, id: string, expectedVersion: number | null): Promise<number> {
    await this.#authorize(identity, id);
    let removed: ImageRecord[] = [];
    const row = await this.#change(id, expectedVersion, { status: 'deleted' }, 'item.deleted', async (tx, deleted) => {
      removed = await this.#d.images.deleteAllOfItem(tx, id);
      return { ...deleted, images: [] };
    });
    await this.#d.imageObjects.remove(removed);
    return row.version;
  }

  async #authorize(identity: Identity, id: string): Promise<void> {
    const row = await this.#d.items.findById(id);
    if (!row || row.status === 'deleted') throw notFound(`No item with id ${id}`);
    if (!canManage(identity, row)) throw forbidden('Only the seller of this item or an admin may change it');
  }

  async #change(
    id: string, expectedVersion: number | null, changes: ItemChanges, type: 'item.updated' | 'item.deleted',
    alsoInTransaction?: (tx: Tx, row: ItemRecord) => Promise<ItemRecord>,
  ): Promise<ItemRecord> {
    const updated = await this.#d.items.transaction(async (tx) => {
      let row = await this.#d.items.updateIfVersion(tx, id, expectedVersion, changes);
      if (row && alsoInTransaction) row = await alsoInTransaction(tx, row);
      if (row) await this.#record(tx, type, row);
      return row;
    });
    if (updated) return updated;
    const current = await this.#d.items.findById(id);
    if (!current || current.status === 'deleted') throw notFound(`No item with id ${id}`);
    if (changes.stock !== undefined && (expectedVersion === null || current.version === expectedVersion)) {
      // The version matched: the stock is below what reservations hold (reservations change no version).
      if (current.reserved > changes.stock) throw stockBelowReserved(changes.stock, current.reserved);
      return this.#change(id, expectedVersion, changes, type, alsoInTransaction); // released meanwhile: try again
    }
    const problem = preconditionFailed(`The item is at version ${current.version}, not ${expectedVersion}; read it again and retry`);
    problem.extensions.currentVersion = current.version;
    problem.headers.etag = `"${current.version}"`;
    throw problem;
  }

  async #record(tx: Tx, type: ItemEvent['type'], row: ItemRecord): Promise<void> {
    const { row: outboxRow, event } = outboxRowFor(type, row);
    await this.#d.outbox.add(tx, outboxRow);
    await this.#d.hooks?.beforeCommit?.(event);
  }
}

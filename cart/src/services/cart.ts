/**
 * The cart's rules: what a line shows now, what is wrong with it, what the cart costs, and what may be
 * put into it. Lines are stored with the price the shopper last saw (repositories/carts.ts); prices,
 * stock and status are read from item-crud on every view (repositories/catalog.ts).
 */
import { HttpProblem, conflict, notFound, problemType } from '@shop/kit';
import type { CatalogClient, CatalogItem, Lookup } from '../repositories/catalog.ts';
import { CartStoreUnavailableError, type CartRepository, type StoredCart, type StoredLine } from '../repositories/carts.ts';
import { lineTotal, samePrice } from './money.ts';

export type ProblemKind = 'price_changed' | 'out_of_stock' | 'unavailable';

export interface CartLineView {
  itemId: string;
  name: string;
  image: string | null;
  price: string;
  currency: string;
  quantity: number;
  available: boolean;
}

export interface CartProblem { itemId: string; kind: ProblemKind; detail: string }

/** A stored change of a line: units added (delta > 0) or taken out (delta < 0); the unit price when known. */
export interface CartChange { itemId: string; delta: number; price?: string; currency?: string }

export interface CartView {
  items: CartLineView[];
  total: string;
  currency: string;
  problems: CartProblem[];
}

/** What loms reads: the view plus the stored line and the item facts an order needs. */
export interface InternalCartView extends CartView {
  userId: string;
  version: number;
  items: (CartLineView & {
    addedPrice: string;
    addedCurrency: string;
    addedAt: string;
    updatedAt: string;
    sellerId: string | null;
    article: number | null;
    brand: string | null;
    stock: number | null;
  })[];
}

export interface CartServiceOptions {
  defaultCurrency: string;
  concurrency: number;
}

const unavailable = (detail: string) => new HttpProblem(503, detail, { type: problemType('unavailable'), headers: { 'retry-after': '1' } });

/** Runs a store call; Redis failing is a 503 (never an empty cart). */
async function store<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof CartStoreUnavailableError) throw unavailable('the cart store is unavailable; try again shortly');
    throw err;
  }
}

interface ComposedLine { stored: StoredLine; view: CartLineView; item: CatalogItem | undefined; problems: CartProblem[] }

/** One line as it is now: current facts when item-crud answered, the stored ones (and unavailable) otherwise. */
export function composeLine(stored: StoredLine, lookup: Lookup | undefined, cartCurrency: string): ComposedLine {
  const { itemId, quantity } = stored;
  const problems: CartProblem[] = [];
  const problem = (kind: ProblemKind, detail: string) => problems.push({ itemId, kind, detail });
  if (!lookup || lookup.kind !== 'found' || lookup.item.status !== 'active') {
    problem('unavailable', lookup?.kind === 'failed'
      ? 'price and stock could not be checked right now (the catalog did not answer); shown as added'
      : 'this item is no longer sold');
    return {
      stored, item: undefined, problems,
      view: { itemId, name: stored.name, image: stored.image, price: stored.price, currency: stored.currency, quantity, available: false },
    };
  }
  const { item } = lookup;
  let available = true;
  if (item.currency !== stored.currency || !samePrice(item.price, stored.price)) {
    problem('price_changed', `the price changed from ${stored.price} ${stored.currency} to ${item.price} ${item.currency} since it was added`);
  }
  if (item.currency !== cartCurrency) {
    available = false;
    problem('unavailable', `priced in ${item.currency}, but this cart is in ${cartCurrency}: one order takes one currency`);
  }
  if (item.stock < quantity) {
    available = false;
    problem('out_of_stock', item.stock === 0 ? 'sold out' : `only ${item.stock} in stock; lower the quantity to ${item.stock} or less`);
  }
  return {
    stored, item, problems,
    view: { itemId, name: item.name, image: item.image, price: item.price, currency: item.currency, quantity, available },
  };
}

/** The cart as it is now. Its currency is that of the line added first (as stored); total sums the available lines. */
export function composeCart(cart: StoredCart, lookups: Map<string, Lookup>, defaultCurrency: string): { lines: ComposedLine[]; view: CartView } {
  const currency = cart.lines[0]?.currency ?? defaultCurrency;
  const lines = cart.lines.map((line) => composeLine(line, lookups.get(line.itemId), currency));
  return {
    lines,
    view: {
      items: lines.map((l) => l.view),
      total: lineTotal(lines.filter((l) => l.view.available).map((l) => l.view)),
      currency,
      problems: lines.flatMap((l) => l.problems),
    },
  };
}

export class CartService {
  readonly #carts: CartRepository;
  readonly #catalog: CatalogClient;
  readonly #options: CartServiceOptions;
  constructor(carts: CartRepository, catalog: CatalogClient, options: CartServiceOptions) {
    this.#carts = carts;
    this.#catalog = catalog;
    this.#options = options;
  }

  async #compose(userId: string, requestId?: string, known = new Map<string, Lookup>()) {
    const cart = await store(this.#carts.read(userId));
    const missing = cart.lines.map((l) => l.itemId).filter((id) => !known.has(id));
    const lookups = await this.#catalog.items(missing, this.#options.concurrency, requestId);
    for (const [id, lookup] of known) lookups.set(id, lookup);
    return { cart, ...composeCart(cart, lookups, this.#options.defaultCurrency) };
  }

  async view(userId: string, requestId?: string, known?: Map<string, Lookup>): Promise<CartView> {
    return (await this.#compose(userId, requestId, known)).view;
  }

  async internalView(userId: string, requestId?: string): Promise<InternalCartView> {
    const { cart, lines, view } = await this.#compose(userId, requestId);
    return {
      ...view, userId, version: cart.version,
      items: lines.map(({ stored, view: line, item }) => ({
        ...line,
        addedPrice: stored.price, addedCurrency: stored.currency, addedAt: stored.addedAt, updatedAt: stored.updatedAt,
        sellerId: item?.sellerId ?? null, article: item?.article ?? null, brand: item?.brand ?? null, stock: item?.stock ?? null,
      })),
    };
  }

  /**
   * Sets a line's quantity (adds it when new), storing the item's current price. Refused: an unknown
   * item (404), one no longer sold or sold out (409), a 101st line (409), another currency (409).
   * A quantity above the stock is kept and reported as out_of_stock: stock moves, a cart is no reservation.
   */
  /**
   * `onChange` hears how many units were added (delta > 0) or taken out (delta < 0), with the unit price, once
   * the change is stored (the route turns it into add_to_cart / remove_from_cart activity events).
   */
  async setQuantity(userId: string, itemId: string, quantity: number, requestId?: string, onChange?: (change: CartChange) => void): Promise<CartView> {
    const lookup = await this.#catalog.item(itemId, requestId);
    if (lookup.kind === 'failed') throw unavailable('the catalog is unavailable, so the item cannot be checked; try again shortly');
    if (lookup.kind === 'gone' || lookup.item.status !== 'active') {
      const cart = await store(this.#carts.read(userId));
      if (lookup.kind === 'gone' && !cart.lines.some((l) => l.itemId === itemId)) throw notFound(`No item with id ${itemId}`);
      throw new HttpProblem(409, `item ${itemId} is no longer sold; remove it from the cart`, { type: problemType('item-unavailable') });
    }
    const { item } = lookup;
    if (item.stock === 0) throw new HttpProblem(409, `item ${itemId} is sold out`, { type: problemType('out-of-stock') });
    const result = await store(this.#carts.putLine(userId, {
      itemId, quantity, price: item.price, currency: item.currency, name: item.name, image: item.image,
    }));
    if (!result.ok && result.reason === 'full') throw conflict(`the cart holds ${result.lines} items, the most it may; remove one first`);
    if (!result.ok) {
      throw new HttpProblem(409, `the item is priced in ${item.currency}, but this cart is in ${result.currency}: one order takes one currency`, {
        type: problemType('currency-mismatch'),
      });
    }
    if (quantity !== result.previousQuantity) onChange?.({ itemId, delta: quantity - result.previousQuantity, price: item.price, currency: item.currency });
    return this.view(userId, requestId, new Map([[itemId, lookup]]));
  }

  /** Removes a line (nothing to remove is fine: the cart is answered as it is). */
  async remove(userId: string, itemId: string, requestId?: string, onChange?: (change: CartChange) => void): Promise<CartView> {
    const removed = await store(this.#carts.removeLine(userId, itemId));
    if (removed.removed && removed.quantity > 0) onChange?.({ itemId, delta: -removed.quantity });
    return this.view(userId, requestId);
  }

  /** Empties the cart; `onChange` hears each line taken out. */
  async clear(userId: string, onChange?: (change: CartChange) => void): Promise<void> {
    const { quantities } = await store(this.#carts.clear(userId));
    for (const [itemId, quantity] of quantities) if (quantity > 0) onChange?.({ itemId, delta: -quantity });
  }

  /** After an order: the lines as they were at `upToVersion` (all lines without it); later changes stay. */
  async clearOrdered(userId: string, upToVersion?: number): Promise<{ removed: string[]; version: number }> {
    const { removed, version } = await store(this.#carts.clear(userId, upToVersion));
    return { removed, version };
  }
}

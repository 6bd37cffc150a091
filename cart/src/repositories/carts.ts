/**
 * Carts in Redis: one hash per user, `cart:<userId>`.
 *   <itemId>   one line, JSON {quantity, price, currency, name, image, addedAt, updatedAt, version}:
 *              price, currency, name and image as they were when the shopper last set the line
 *   _version   the cart's version, +1 on every change; never reset (an emptied cart keeps it), so a
 *              version read at checkout stays comparable with every later change
 * Every change is one Lua script (atomic per cart): two PUTs of different items at once keep both,
 * the line cap and the cart's currency are checked with the write, and the TTL is set again.
 * A line's `version` is the cart version of its last change: "the lines as read at version V" are
 * exactly the lines whose version ≤ V, which is how loms clears what it ordered (clearUpTo).
 */
import type { Redis } from 'ioredis';

export const cartKey = (userId: string) => `cart:${userId}`;
export const VERSION_FIELD = '_version';

export interface LineInput {
  itemId: string;
  quantity: number;
  /** The item's price and currency when the shopper set the line ("1999.90"). */
  price: string;
  currency: string;
  name: string;
  image: string | null;
}

export interface StoredLine extends LineInput {
  addedAt: string;
  updatedAt: string;
  version: number;
}

export interface StoredCart {
  version: number;
  /** Oldest first (by addedAt, then item id). */
  lines: StoredLine[];
}

export type PutResult =
  | { ok: true; version: number; created: boolean; /** the line's quantity before (0: new line) */ previousQuantity: number }
  | { ok: false; reason: 'full'; lines: number }
  | { ok: false; reason: 'currency'; currency: string };

/** Redis refused, failed or was too slow: the caller answers 503, never an empty cart. */
export class CartStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CartStoreUnavailableError';
  }
}

// ARGV: itemId, line JSON (LineInput without itemId), now (ISO), max lines, ttl ms
const PUT_LINE = `
local key, itemId = KEYS[1], ARGV[1]
local line = cjson.decode(ARGV[2])
local existing = redis.call('HGET', key, itemId)
local all = redis.call('HGETALL', key)
local count, oldest, oldestAt = 0, nil, nil
for i = 1, #all, 2 do
  if all[i] ~= '${VERSION_FIELD}' then
    count = count + 1
    if all[i] ~= itemId then
      local other = cjson.decode(all[i + 1])
      if oldestAt == nil or other.addedAt < oldestAt or (other.addedAt == oldestAt and all[i] < oldest.id) then
        oldestAt = other.addedAt
        oldest = { id = all[i], currency = other.currency }
      end
    end
  end
end
if not existing and count >= tonumber(ARGV[4]) then return {-1, count} end
if oldest and oldest.currency ~= line.currency then return {-2, oldest.currency} end
local version = redis.call('HINCRBY', key, '${VERSION_FIELD}', 1)
line.addedAt = existing and cjson.decode(existing).addedAt or ARGV[3]
line.updatedAt = ARGV[3]
line.version = version
redis.call('HSET', key, itemId, cjson.encode(line))
redis.call('PEXPIRE', key, ARGV[5])
return {version, existing and 0 or 1, existing and cjson.decode(existing).quantity or 0}`;

// ARGV: itemId, ttl ms
const REMOVE_LINE = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if not existing then
  return {0, tonumber(redis.call('HGET', KEYS[1], '${VERSION_FIELD}') or '0'), 0}
end
redis.call('HDEL', KEYS[1], ARGV[1])
local version = redis.call('HINCRBY', KEYS[1], '${VERSION_FIELD}', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, version, cjson.decode(existing).quantity or 0}`;

// ARGV: up-to version ('' = every line), ttl ms. Answers {version, removed item id, its quantity, ...}.
const CLEAR = `
local all = redis.call('HGETALL', KEYS[1])
local removed = {}
local limit = tonumber(ARGV[1])
for i = 1, #all, 2 do
  if all[i] ~= '${VERSION_FIELD}' and (limit == nil or cjson.decode(all[i + 1]).version <= limit) then
    redis.call('HDEL', KEYS[1], all[i])
    removed[#removed + 1] = all[i]
    removed[#removed + 1] = tostring(cjson.decode(all[i + 1]).quantity or 0)
  end
end
local version = tonumber(redis.call('HGET', KEYS[1], '${VERSION_FIELD}') or '0')
if #removed > 0 then
  version = redis.call('HINCRBY', KEYS[1], '${VERSION_FIELD}', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return {version, unpack(removed)}`;

interface ScriptedRedis extends Redis {
  cartPutLine(key: string, itemId: string, line: string, now: string, maxLines: number, ttlMs: number): Promise<[number, number | string, number?]>;
  cartRemoveLine(key: string, itemId: string, ttlMs: number): Promise<[number, number, number?]>;
  cartClear(key: string, upTo: string, ttlMs: number): Promise<[number, ...string[]]>;
}

export interface CartRepositoryOptions {
  ttlMs: number;
  maxLines: number;
  /** Each Redis call on the request path gives up after this long. */
  timeoutMs: number;
}

export class CartRepository {
  readonly #redis: ScriptedRedis;
  readonly #options: CartRepositoryOptions;
  constructor(redis: Redis, options: CartRepositoryOptions) {
    if (!('cartPutLine' in redis)) {
      redis.defineCommand('cartPutLine', { numberOfKeys: 1, lua: PUT_LINE });
      redis.defineCommand('cartRemoveLine', { numberOfKeys: 1, lua: REMOVE_LINE });
      redis.defineCommand('cartClear', { numberOfKeys: 1, lua: CLEAR });
    }
    this.#redis = redis as ScriptedRedis;
    this.#options = options;
  }

  async read(userId: string): Promise<StoredCart> {
    const hash = await this.#bounded(this.#redis.hgetall(cartKey(userId)));
    let version = 0;
    const lines: StoredLine[] = [];
    for (const [field, value] of Object.entries(hash)) {
      if (field === VERSION_FIELD) version = Number(value);
      else lines.push({ ...(JSON.parse(value) as Omit<StoredLine, 'itemId'>), itemId: field });
    }
    lines.sort((a, b) => a.addedAt.localeCompare(b.addedAt) || a.itemId.localeCompare(b.itemId));
    return { version, lines };
  }

  /** Adds or replaces one line, unless the cart is full or holds lines in another currency. */
  async putLine(userId: string, line: LineInput, now = new Date()): Promise<PutResult> {
    const { itemId, ...rest } = line;
    const [code, detail, previous] = await this.#bounded(this.#redis.cartPutLine(
      cartKey(userId), itemId, JSON.stringify(rest), now.toISOString(), this.#options.maxLines, this.#options.ttlMs,
    ));
    if (code === -1) return { ok: false, reason: 'full', lines: Number(detail) };
    if (code === -2) return { ok: false, reason: 'currency', currency: String(detail) };
    return { ok: true, version: code, created: detail === 1, previousQuantity: Number(previous ?? 0) };
  }

  async removeLine(userId: string, itemId: string): Promise<{ removed: boolean; version: number; quantity: number }> {
    const [removed, version, quantity] = await this.#bounded(this.#redis.cartRemoveLine(cartKey(userId), itemId, this.#options.ttlMs));
    return { removed: removed === 1, version, quantity: Number(quantity ?? 0) };
  }

  /** Removes every line, or with `upToVersion` only the lines last changed at or before that version. */
  async clear(userId: string, upToVersion?: number): Promise<{ removed: string[]; version: number; quantities: Map<string, number> }> {
    const [version, ...pairs] = await this.#bounded(this.#redis.cartClear(cartKey(userId), upToVersion === undefined ? '' : String(upToVersion), this.#options.ttlMs));
    const quantities = new Map<string, number>();
    for (let i = 0; i < pairs.length; i += 2) quantities.set(pairs[i]!, Number(pairs[i + 1] ?? 0));
    return { removed: [...quantities.keys()], version, quantities };
  }

  async #bounded<T>(pending: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CartStoreUnavailableError(`redis did not answer within ${this.#options.timeoutMs} ms`)), this.#options.timeoutMs);
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (err) {
      pending.catch(() => undefined);
      if (err instanceof CartStoreUnavailableError) throw err;
      throw new CartStoreUnavailableError((err as Error).message, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

// The cart against the real Redis and the running sso and item-crud; our own redis-server where Redis
// must die, an unused port where item-crud must be unreachable.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { cartKey } from '../src/repositories/carts.ts';
import {
  OwnRedis, crud, freePort, newItem, newUser, patchItem, redis, startApp, type CartApp, type ItemJson, type User,
} from './helpers.ts';

interface Line { itemId: string; name: string; image: string | null; price: string; currency: string; quantity: number; available: boolean }
interface Cart { items: Line[]; total: string; currency: string; problems: { itemId: string; kind: string; detail: string }[] }

const THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000;
const shared = redis();
let app: CartApp;
let seller: User;

before(async () => {
  seller = await newUser('seller');
  app = await startApp();
});
after(async () => {
  await app?.close();
  shared.disconnect();
});

const call = (a: CartApp, user: User | undefined, method: 'GET' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
  a.inject({ method, url, headers: { ...(user?.auth ?? {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
const getCart = (user: User, a = app) => call(a, user, 'GET', '/api/cart');
const put = (user: User, itemId: string, quantity: unknown, a = app) => call(a, user, 'PUT', `/api/cart/items/${itemId}`, { quantity });
const cartOf = async (user: User, a = app): Promise<Cart> => {
  const res = await getCart(user, a);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<Cart>();
};
/** The cart exactly as stored (to show that nothing changed). */
const raw = (user: User) => shared.hgetall(cartKey(user.id));
const isProblem = (res: { headers: Record<string, unknown> }) => assert.match(String(res.headers['content-type']), /^application\/problem\+json/);

describe('a shopper\'s cart (running sso and item-crud, real Redis)', () => {
  it('adds, updates, removes and clears lines; totals exactly at current prices', async () => {
    const user = await newUser();
    assert.deepEqual(await cartOf(user), { items: [], total: '0.00', currency: 'RUB', problems: [] });
    const kettle = await newItem(seller, { price: '1999.90' });
    const mug = await newItem(seller, { price: '0.10', stock: 10 });

    const added = await put(user, kettle.id, 2);
    assert.equal(added.statusCode, 200, added.body);
    assert.deepEqual(added.json<Cart>(), {
      items: [{ itemId: kettle.id, name: kettle.name, image: null, price: '1999.90', currency: 'RUB', quantity: 2, available: true }],
      total: '3999.80', currency: 'RUB', problems: [],
    });
    const addedAt = (JSON.parse((await raw(user))[kettle.id]!) as { addedAt: string }).addedAt;

    assert.equal((await put(user, mug.id, 3)).statusCode, 200);
    const updated = await put(user, kettle.id, 1);
    assert.equal(updated.statusCode, 200);
    const cart = updated.json<Cart>();
    assert.deepEqual(cart.items.map((l) => [l.itemId, l.quantity]), [[kettle.id, 1], [mug.id, 3]], 'oldest first; the quantity replaced, not added');
    assert.equal(cart.total, '2000.20', '1999.90 + 3 × 0.10, exactly');
    assert.equal((JSON.parse((await raw(user))[kettle.id]!) as { addedAt: string }).addedAt, addedAt, 'an update keeps when the line was added');

    const removed = await call(app, user, 'DELETE', `/api/cart/items/${kettle.id}`);
    assert.equal(removed.statusCode, 200);
    assert.deepEqual(removed.json<Cart>().items.map((l) => l.itemId), [mug.id]);
    const again = await call(app, user, 'DELETE', `/api/cart/items/${kettle.id}`);
    assert.equal(again.statusCode, 200, 'removing an absent line answers the cart as it is');
    assert.equal(again.json<Cart>().items.length, 1);

    const cleared = await call(app, user, 'DELETE', '/api/cart');
    assert.equal(cleared.statusCode, 204);
    assert.equal(cleared.body, '');
    assert.deepEqual(await cartOf(user), { items: [], total: '0.00', currency: 'RUB', problems: [] });
  });

  it('answers the first thumbnail as the line image', async () => {
    const user = await newUser();
    const item = await newItem(seller);
    const png = (await import('../../facade/test/png.ts')).png(8, 8);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'p.png');
    const upload = await fetch(`${process.env.ITEM_CRUD_URL ?? 'http://127.0.0.1:8082'}/api/items/${item.id}/images`, { method: 'POST', headers: seller.auth, body: form });
    assert.equal(upload.status, 201, await upload.clone().text());
    const { id: imageId } = (await upload.json()) as { id: string };
    const cart = (await put(user, item.id, 1)).json<Cart>();
    assert.equal(cart.items[0]?.image, `/api/images/${item.id}/${imageId}?size=thumb`);
  });

  it('reports a price change (current price in the line and the total) until the shopper sets the line again', async () => {
    const user = await newUser();
    let item = await newItem(seller, { price: '100.00' });
    await put(user, item.id, 2);
    item = await patchItem(seller, item, { price: '120.50' });
    const cart = await cartOf(user);
    assert.equal(cart.items[0]?.price, '120.50');
    assert.equal(cart.items[0]?.available, true, 'a new price does not stop the line from being ordered');
    assert.equal(cart.total, '241.00');
    assert.deepEqual(cart.problems.map((p) => [p.itemId, p.kind]), [[item.id, 'price_changed']]);
    assert.match(cart.problems[0]!.detail, /100\.00 RUB to 120\.50 RUB/);
    const acknowledged = (await put(user, item.id, 2)).json<Cart>();
    assert.deepEqual(acknowledged.problems, [], 'setting the line again stores the price the shopper now sees');
  });

  it('reports lines short of stock as out_of_stock and leaves them out of the total; a sold-out item cannot be added', async () => {
    const user = await newUser();
    let short = await newItem(seller, { price: '10.00', stock: 5 });
    const fine = await newItem(seller, { price: '1.00', stock: 5 });
    await put(user, short.id, 4);
    await put(user, fine.id, 1);
    short = await patchItem(seller, short, { stock: 2 });
    let cart = await cartOf(user);
    assert.deepEqual(cart.items.map((l) => l.available), [false, true]);
    assert.equal(cart.total, '1.00');
    assert.deepEqual(cart.problems, [{ itemId: short.id, kind: 'out_of_stock', detail: 'only 2 in stock; lower the quantity to 2 or less' }]);

    short = await patchItem(seller, short, { stock: 0 });
    cart = await cartOf(user);
    assert.equal(cart.problems[0]?.detail, 'sold out');
    const before = await raw(user);
    const refused = await put(user, short.id, 1);
    assert.equal(refused.statusCode, 409);
    isProblem(refused);
    assert.equal(refused.json<{ type: string }>().type, 'urn:shop:problem:out-of-stock');
    assert.deepEqual(await raw(user), before, 'nothing changed');

    const more = await put(user, fine.id, 9);
    assert.equal(more.statusCode, 200, 'more than the stock of an item still sold is kept, and reported');
    assert.ok(more.json<Cart>().problems.some((p) => p.itemId === fine.id && p.kind === 'out_of_stock'));
  });

  it('lists a deleted item as unavailable with the stored name and price; never fails the cart', async () => {
    const user = await newUser();
    const gone = await newItem(seller, { price: '55.00' });
    const kept = await newItem(seller, { price: '7.00' });
    await put(user, gone.id, 1);
    await put(user, kept.id, 2);
    const deleted = await crud('DELETE', `/api/items/${gone.id}`, seller);
    assert.equal(deleted.status, 204);
    const cart = await cartOf(user);
    assert.deepEqual(cart.items[0], { itemId: gone.id, name: gone.name, image: null, price: '55.00', currency: 'RUB', quantity: 1, available: false });
    assert.deepEqual(cart.problems, [{ itemId: gone.id, kind: 'unavailable', detail: 'this item is no longer sold' }]);
    assert.equal(cart.total, '14.00');

    const before = await raw(user);
    const refused = await put(user, gone.id, 2);
    assert.equal(refused.statusCode, 409, 'a line whose item went away cannot be changed, only removed');
    isProblem(refused);
    assert.equal(refused.json<{ type: string }>().type, 'urn:shop:problem:item-unavailable');
    assert.deepEqual(await raw(user), before);
    assert.equal((await call(app, user, 'DELETE', `/api/cart/items/${gone.id}`)).json<Cart>().items.length, 1);
  });

  it('refuses an item in another currency than the cart (409), and reports a line whose currency changed', async () => {
    const user = await newUser();
    let rub = await newItem(seller, { price: '100.00' });
    const usd = await newItem(seller, { price: '3.00', currency: 'USD' });
    await put(user, rub.id, 1);
    const before = await raw(user);
    const refused = await put(user, usd.id, 1);
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json<{ type: string }>().type, 'urn:shop:problem:currency-mismatch');
    assert.deepEqual(await raw(user), before);

    const other = await newItem(seller, { price: '5.00' });
    await put(user, other.id, 1);
    rub = await patchItem(seller, rub, { currency: 'EUR' });
    const cart = await cartOf(user);
    assert.equal(cart.currency, 'RUB', 'the currency of the line added first, as added');
    assert.equal(cart.items[0]?.available, false);
    assert.equal(cart.total, '5.00');
    assert.deepEqual(cart.problems.map((p) => p.kind).sort(), ['price_changed', 'unavailable']);
  });

  it('keeps a cart for 30 days after its last change', async () => {
    const user = await newUser();
    const item = await newItem(seller);
    await put(user, item.id, 1);
    const ttl = await shared.pttl(cartKey(user.id));
    assert.ok(ttl > THIRTY_DAYS_MS - 60_000 && ttl <= THIRTY_DAYS_MS, `pttl ${ttl}`);
    await shared.pexpire(cartKey(user.id), 60_000);
    await cartOf(user);
    assert.ok((await shared.pttl(cartKey(user.id))) <= 60_000, 'reading is not a change');
    await put(user, item.id, 2);
    assert.ok((await shared.pttl(cartKey(user.id))) > THIRTY_DAYS_MS - 60_000, 'every change sets the TTL again');
    await shared.pexpire(cartKey(user.id), 60_000);
    await call(app, user, 'DELETE', `/api/cart/items/${item.id}`);
    assert.ok((await shared.pttl(cartKey(user.id))) > THIRTY_DAYS_MS - 60_000, 'a removal too');
  });

  it('holds at most 100 lines: the 101st is a 409, a line already there can still change', async () => {
    const user = await newUser();
    const first = await newItem(seller, { price: '2.00' });
    await put(user, first.id, 1);
    // 99 more lines written as the service writes them (their items do not exist: they would show as unavailable).
    const stored = JSON.parse((await raw(user))[first.id]!) as Record<string, unknown>;
    const others = Array.from({ length: 99 }, () => randomUUID());
    await shared.hset(cartKey(user.id), Object.fromEntries(others.map((id) => [id, JSON.stringify({ ...stored, name: 'filler' })])));
    const extra = await newItem(seller);
    const before = await raw(user);
    const refused = await put(user, extra.id, 1);
    assert.equal(refused.statusCode, 409, refused.body);
    isProblem(refused);
    assert.match(refused.json<{ detail: string }>().detail, /100 items/);
    assert.deepEqual(await raw(user), before, 'nothing changed');

    const changed = await put(user, first.id, 5);
    assert.equal(changed.statusCode, 200, 'changing an existing line of a full cart is fine');
    const view = changed.json<Cart>();
    assert.equal(view.items.length, 100);
    assert.equal(view.problems.filter((p) => p.kind === 'unavailable').length, 99, 'a hundred lookups, each line answered');
    assert.equal(view.total, '10.00');

    assert.equal((await call(app, user, 'DELETE', `/api/cart/items/${others[0]}`)).statusCode, 200);
    assert.equal((await put(user, extra.id, 1)).statusCode, 200, 'room again after a removal');
  });

  it('keeps every line of concurrent PUTs of different items', async () => {
    const user = await newUser();
    const items: ItemJson[] = [];
    for (let i = 0; i < 12; i++) items.push(await newItem(seller, { price: '1.00', stock: 20 }));
    const answers = await Promise.all(items.map((item, i) => put(user, item.id, i + 1)));
    assert.deepEqual([...new Set(answers.map((a) => a.statusCode))], [200]);
    const cart = await cartOf(user);
    assert.deepEqual(cart.items.map((l) => l.itemId).sort(), items.map((i) => i.id).sort());
    assert.equal(cart.total, '78.00', '1 + 2 + … + 12');
    const version = Number((await raw(user))._version);
    assert.equal(version, 12, 'one version per change');
  });

  it('shows each user only their own cart; sellers have carts too', async () => {
    const alice = await newUser('customer', 'alice');
    const bob = await newUser('seller', 'bob');
    const item = await newItem(seller);
    await put(alice, item.id, 1);
    assert.deepEqual((await cartOf(bob)).items, []);
    assert.equal((await call(app, bob, 'DELETE', `/api/cart/items/${item.id}`)).statusCode, 200);
    assert.equal((await call(app, bob, 'DELETE', '/api/cart')).statusCode, 204);
    assert.deepEqual((await cartOf(alice)).items.map((l) => l.itemId), [item.id], "bob's deletes touched his own cart only");
    assert.equal((await put(bob, item.id, 3)).statusCode, 200);
    assert.equal((await cartOf(alice)).items[0]?.quantity, 1);
    assert.equal((await cartOf(bob)).items[0]?.quantity, 3);
  });

  it('needs a signed-in user: no token 401, a bad token 401', async () => {
    for (const [method, url] of [['GET', '/api/cart'], ['PUT', `/api/cart/items/${randomUUID()}`], ['DELETE', '/api/cart']] as const) {
      const res = await call(app, undefined, method, url, method === 'PUT' ? { quantity: 1 } : undefined);
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      isProblem(res);
    }
    const forged = await app.inject({ method: 'GET', url: '/api/cart', headers: { authorization: 'Bearer a.b.c' } });
    assert.equal(forged.statusCode, 401);
  });

  it('refuses bad input with 400/404 and changes nothing', async () => {
    const user = await newUser();
    const item = await newItem(seller);
    await put(user, item.id, 2);
    const before = await raw(user);
    const cases: [string, () => ReturnType<typeof call>, number][] = [
      ['quantity 0', () => put(user, item.id, 0), 400],
      ['quantity 100', () => put(user, item.id, 100), 400],
      ['quantity 1.5', () => put(user, item.id, 1.5), 400],
      ['quantity "2" (no coercion of bodies)', () => put(user, item.id, '2'), 400],
      ['no quantity', () => call(app, user, 'PUT', `/api/cart/items/${item.id}`, {}), 400],
      ['an unknown field', () => call(app, user, 'PUT', `/api/cart/items/${item.id}`, { quantity: 1, price: '0.01' }), 400],
      ['NUL in a key', () => call(app, user, 'PUT', `/api/cart/items/${item.id}`, '{"quantity":1,"a\\u0000":1}'), 400],
      ['NUL in the item id', () => put(user, `${item.id}%00`, 1), 400],
      ['not a uuid', () => put(user, 'kettle', 1), 400],
      ['an unknown item', () => put(user, randomUUID(), 1), 404],
      ['malformed JSON', () => call(app, user, 'PUT', `/api/cart/items/${item.id}`, '{"quantity":'), 400],
    ];
    for (const [what, send, status] of cases) {
      const res = await send();
      assert.equal(res.statusCode, status, `${what}: ${res.body}`);
      isProblem(res);
    }
    assert.deepEqual(await raw(user), before, 'nothing changed');
    assert.equal((await cartOf(user)).items[0]?.quantity, 2);
  });
});

describe('dependencies failing', () => {
  it('Redis down: 503 problem+json with Retry-After, never an empty cart; back when Redis is', async () => {
    const own = await OwnRedis.start();
    const local = await startApp({ REDIS_URL: own.url, REDIS_TIMEOUT_MS: '500' });
    try {
      const user = await newUser();
      const item = await newItem(seller);
      assert.equal((await put(user, item.id, 1, local)).statusCode, 200);
      await own.kill();
      for (const res of [await getCart(user, local), await put(user, item.id, 2, local), await call(local, user, 'DELETE', `/api/cart/items/${item.id}`), await call(local, user, 'DELETE', '/api/cart')]) {
        assert.equal(res.statusCode, 503, res.body);
        isProblem(res);
        assert.equal(res.headers['retry-after'], '1');
      }
      const ready = await local.inject('/health/ready');
      assert.equal(ready.statusCode, 503, 'readiness reports Redis');
      await own.start();
      const { waitFor } = await import('../../test/support.ts');
      await waitFor('the cart to answer again', async () => (await getCart(user, local)).statusCode === 200, 15_000, 100);
    } finally {
      await local.close();
      await own.close();
    }
  });

  it('item-crud unreachable: the cart answers its lines as stored, unavailable; a change is a 503', async () => {
    const user = await newUser();
    const item = await newItem(seller, { price: '42.00' });
    await put(user, item.id, 2);
    const blind = await startApp({ ITEM_CRUD_URL: `http://127.0.0.1:${await freePort()}` });
    try {
      const res = await getCart(user, blind);
      assert.equal(res.statusCode, 200, res.body);
      const cart = res.json<Cart>();
      assert.deepEqual(cart.items, [{ itemId: item.id, name: item.name, image: null, price: '42.00', currency: 'RUB', quantity: 2, available: false }]);
      assert.equal(cart.total, '0.00');
      assert.equal(cart.problems[0]?.kind, 'unavailable');
      assert.match(cart.problems[0]!.detail, /could not be checked/);
      const before = await raw(user);
      const change = await put(user, item.id, 3, blind);
      assert.equal(change.statusCode, 503);
      isProblem(change);
      assert.deepEqual(await raw(user), before);
    } finally {
      await blind.close();
    }
  });
});

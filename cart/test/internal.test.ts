// The routes loms calls (GET and DELETE /internal/carts/:userId), guarded by service scopes. Tokens are
// signed here with a key this test publishes in its own JWKS (the app's SSO_URL points at it): service
// tokens with and without the scopes, and a person's token, which must be refused. Items and Redis are
// the running item-crud and the real Redis.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '@shop/contracts';
import { cartKey } from '../src/repositories/carts.ts';
import { newItem, newUser, patchItem, redis, startApp, type CartApp, type ItemJson, type User } from './helpers.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = randomUUID();
const token = (claims: Record<string, unknown>, subject: string) => jwt.sign({ jti: randomUUID(), ...claims }, privateKey, {
  algorithm: 'ES256', keyid: kid, issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, subject, expiresIn: 300,
});
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const service = (scope: string) => bearer(token({ role: 'service', scope }, 'loms'));

interface InternalCart {
  userId: string; version: number; total: string; currency: string;
  items: { itemId: string; quantity: number; price: string; addedPrice: string; sellerId: string | null; article: number | null; brand: string | null; stock: number | null; available: boolean }[];
  problems: { itemId: string; kind: string }[];
}

let jwks: Server;
let app: CartApp;
let seller: User;
const shared = redis();

before(async () => {
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  app = await startApp({ SSO_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}` });
  seller = await newUser('seller');
});
after(async () => {
  await app?.close();
  await new Promise<void>((resolve) => jwks.close(() => resolve()));
  shared.disconnect();
});

/** A shopper of this test's key: the cart is filled through the public route with the shopper's own token. */
function shopper(): { id: string; auth: Record<string, string> } {
  const id = randomUUID();
  return { id, auth: bearer(token({ role: 'customer' }, id)) };
}
const put = (who: { auth: Record<string, string> }, item: ItemJson, quantity: number) =>
  app.inject({ method: 'PUT', url: `/api/cart/items/${item.id}`, headers: { ...who.auth, 'content-type': 'application/json' }, payload: { quantity } });
const read = (userId: string, headers: Record<string, string> = service('cart:read')) => app.inject({ method: 'GET', url: `/internal/carts/${userId}`, headers });
const clear = (userId: string, query = '', headers: Record<string, string> = service('cart:write')) => app.inject({ method: 'DELETE', url: `/internal/carts/${userId}${query}`, headers });

describe('/internal/carts/:userId (service tokens)', () => {
  it('GET: the stored cart with its version (ETag), the price each line was added at, and current facts', async () => {
    const buyer = shopper();
    let item = await newItem(seller, { price: '10.00', stock: 4 });
    assert.equal((await put(buyer, item, 3)).statusCode, 200);
    item = await patchItem(seller, item, { price: '12.00' });
    const res = await read(buyer.id);
    assert.equal(res.statusCode, 200, res.body);
    const cart = res.json<InternalCart>();
    assert.equal(res.headers.etag, `"${cart.version}"`);
    assert.equal(cart.userId, buyer.id);
    assert.equal(cart.version, 1);
    assert.equal(cart.total, '36.00');
    assert.deepEqual(cart.items.map((l) => [l.itemId, l.quantity, l.addedPrice, l.price, l.sellerId, l.stock, l.brand]), [[item.id, 3, '10.00', '12.00', seller.id, 4, item.brand]]);
    assert.equal(cart.items[0]?.article, typeof item.article === 'number' ? item.article : null, "item-crud's article number");
    assert.deepEqual(cart.problems.map((p) => p.kind), ['price_changed']);
    const empty = await read(randomUUID());
    assert.equal(empty.statusCode, 200);
    assert.deepEqual(empty.json<InternalCart>().items, []);
  });

  it('DELETE ?upToVersion=: removes the lines as they were at that version; lines changed during checkout stay', async () => {
    const buyer = shopper();
    const [a, b, c] = [await newItem(seller), await newItem(seller), await newItem(seller)];
    await put(buyer, a!, 1);
    await put(buyer, b!, 1);
    const { version } = (await read(buyer.id)).json<InternalCart>();
    // The shopper keeps shopping while loms places the order made from `version`.
    await put(buyer, b!, 2);
    await put(buyer, c!, 1);
    const res = await clear(buyer.id, `?upToVersion=${version}`);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ removed: string[]; version: number }>();
    assert.deepEqual(body.removed, [a!.id]);
    assert.ok(body.version > version);
    const left = (await read(buyer.id)).json<InternalCart>();
    assert.deepEqual(left.items.map((l) => [l.itemId, l.quantity]), [[b!.id, 2], [c!.id, 1]]);
    assert.equal(left.version, body.version);

    const all = await clear(buyer.id);
    assert.deepEqual(all.json<{ removed: string[] }>().removed.sort(), [b!.id, c!.id].sort(), 'without upToVersion: every line');
    assert.deepEqual((await read(buyer.id)).json<InternalCart>().items, []);
    const ttl = await shared.pttl(cartKey(buyer.id));
    assert.ok(ttl > 0, 'the emptied cart keeps its version (with the TTL), so later versions stay comparable');
    assert.equal((await put(buyer, a!, 1)).statusCode, 200);
    assert.ok((await read(buyer.id)).json<InternalCart>().version > body.version, 'versions never go back');
  });

  it('needs a service token with the scope: none 401, a person 403, a service without the scope 403', async () => {
    const buyer = shopper();
    const item = await newItem(seller);
    await put(buyer, item, 1);
    assert.equal((await read(buyer.id, {})).statusCode, 401);
    assert.equal((await read(buyer.id, buyer.auth)).statusCode, 403, "a person's token, even the owner's");
    assert.equal((await read(buyer.id, service('stock:reserve'))).statusCode, 403);
    assert.equal((await read(buyer.id, service('cart:write'))).statusCode, 403, 'writing does not imply reading');
    assert.equal((await clear(buyer.id, '', service('cart:read'))).statusCode, 403);
    assert.equal((await clear(buyer.id, '', buyer.auth)).statusCode, 403);
    assert.equal((await read(buyer.id)).json<InternalCart>().items.length, 1, 'nothing was removed');
    assert.equal((await read('not-a-uuid')).statusCode, 400);
    assert.equal((await clear(buyer.id, '?upToVersion=-1')).statusCode, 400);
  });

  it('a service token cannot use the public cart routes (people have carts, services do not)', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/cart', headers: service('cart:read cart:write') });
    assert.equal(res.statusCode, 403);
  });

  it('is not in the OpenAPI document', async () => {
    const doc = (await app.inject('/openapi.json')).json<{ paths: Record<string, unknown> }>();
    assert.ok(Object.keys(doc.paths).some((p) => p.startsWith('/api/cart')));
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/internal/')));
  });
});

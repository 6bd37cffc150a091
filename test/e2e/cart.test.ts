// The cart end to end through the proxy: a seller's item into a customer's cart, a price change seen in
// it, the cart emptied; the proxy routes /api/cart and never /internal/. Then what loms will do: a service
// client registered with the sso CLI reads and clears the cart at the cart service itself.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ServiceTokens, TOKEN_PATH } from '@shop/kit';
import { api, type ApiRequest } from '../../scripts/api.ts';
import { signUp } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const CART = process.env.CART_URL ?? 'http://127.0.0.1:8086';
const DATABASE_URL = process.env.DATABASE_URL_SSO ?? 'postgresql://shop:shop@127.0.0.1:5432/sso';
const root = new URL('../..', import.meta.url).pathname;
const call = (path: string, init: ApiRequest = {}) => api(PROXY, path, init);

/** Signed up at the sso itself (from this process's own client address: sign-in throttling is not under test). */
const account = async (role: 'seller' | 'customer') =>
  (await signUp(SSO, { email: `cart-e2e-${role}-${randomUUID()}@test.example`, password: 'cart e2e password', name: `Cart ${role}`, role })).token;

let seller: string;
let customer: string;
before(async () => {
  [seller, customer] = await Promise.all([account('seller'), account('customer')]);
});

describe('cart through the proxy', () => {
  it('puts an item in, shows a price change, empties the cart', async () => {
    const created = await call('/api/items', { method: 'POST', token: seller, body: { name: `Cart e2e lamp ${randomUUID().slice(0, 6)}`, brand: 'Ikea', category: 'furniture', price: '499.00', stock: 2 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;

    const put = await call(`/api/cart/items/${id}`, { method: 'PUT', token: customer, body: { quantity: 2 } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.total, '998.00');
    assert.ok(put.headers.get('x-request-id'), 'the proxy sets a request id');

    const patched = await call(`/api/items/${id}`, { method: 'PATCH', token: seller, headers: { 'if-match': '"1"' }, body: { price: '450.00' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const cart = await call('/api/cart', { token: customer });
    assert.equal(cart.status, 200);
    assert.deepEqual(cart.body.items.map((l: { itemId: string; price: string; quantity: number }) => [l.itemId, l.price, l.quantity]), [[id, '450.00', 2]]);
    assert.equal(cart.body.total, '900.00');
    assert.deepEqual(cart.body.problems.map((p: { kind: string }) => p.kind), ['price_changed']);

    assert.equal((await call('/api/cart', { method: 'DELETE', token: customer })).status, 204);
    assert.deepEqual((await call('/api/cart', { token: customer })).body.items, []);
    assert.equal((await call(`/api/items/${id}`, { method: 'DELETE', token: seller })).status, 204);
  });

  it('needs a token (401 from the proxy for writes, from the cart for the read)', async () => {
    for (const [method, path] of [['GET', '/api/cart'], ['PUT', `/api/cart/items/${randomUUID()}`], ['DELETE', '/api/cart']]) {
      const res = await call(path!, { method, ...(method === 'PUT' ? { body: { quantity: 1 } } : {}) });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    }
  });

  it('does not route /internal/ (service-to-service only)', async () => {
    const res = await call(`/internal/carts/${randomUUID()}`, { token: customer });
    assert.equal(res.status, 404);
  });

  it('documents /api/cart in the merged OpenAPI document', async () => {
    const doc = (await call('/docs/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(doc.paths['/api/cart'] ?? {}).sort(), ['delete', 'get']);
    assert.deepEqual(Object.keys(doc.paths['/api/cart/items/{itemId}'] ?? {}).sort(), ['delete', 'put']);
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/internal')));
  });
});

describe('a service client reads and clears a cart at the cart service (what loms does)', () => {
  const sso = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['sso/src/cli.ts', ...args], { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL } });
    return JSON.parse(stdout) as { clientId: string; clientSecret: string };
  };
  let client: { clientId: string; clientSecret: string };
  before(async () => {
    client = await sso('register-client', '--name', `cart-e2e-${randomUUID()}`, '--scopes', 'cart:read cart:write');
  });
  after(async () => {
    await sso('disable-client', '--client', client.clientId);
  });
  const tokens = (scopes: string[]) => new ServiceTokens({ tokenUrl: new URL(TOKEN_PATH, SSO), clientId: client.clientId, clientSecret: client.clientSecret, scopes });

  it('GET /internal/carts/:userId with cart:read, DELETE ?upToVersion= with cart:write; each scope only its own route', async () => {
    const { id: userId, token: buyer } = await signUp(SSO, { email: `cart-e2e-loms-${randomUUID()}@test.example`, password: 'cart e2e password', name: 'Buyer', role: 'customer' });
    const created = await call('/api/items', { method: 'POST', token: seller, body: { name: `Cart e2e chair ${randomUUID().slice(0, 6)}`, brand: 'Ikea', category: 'furniture', price: '1500.00', stock: 5 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await call(`/api/cart/items/${created.body.id}`, { method: 'PUT', token: buyer, body: { quantity: 1 } })).status, 200);

    const reader = tokens(['cart:read']);
    const read = await reader.fetch(`${CART}/internal/carts/${userId}`);
    assert.equal(read.status, 200);
    const cart = (await read.json()) as { version: number; total: string; items: { itemId: string; sellerId: string }[] };
    assert.equal(cart.total, '1500.00');
    assert.deepEqual(cart.items.map((l) => l.itemId), [created.body.id]);
    assert.equal(read.headers.get('etag'), `"${cart.version}"`);
    const refused = await reader.fetch(`${CART}/internal/carts/${userId}?upToVersion=${cart.version}`, { method: 'DELETE' });
    assert.equal(refused.status, 403, 'cart:read does not clear');
    await refused.body?.cancel();

    const cleared = await tokens(['cart:write']).fetch(`${CART}/internal/carts/${userId}?upToVersion=${cart.version}`, { method: 'DELETE' });
    assert.equal(cleared.status, 200);
    assert.deepEqual(((await cleared.json()) as { removed: string[] }).removed, [created.body.id]);
    assert.deepEqual((await call('/api/cart', { token: buyer })).body.items, []);
    assert.equal((await call(`/api/items/${created.body.id}`, { method: 'DELETE', token: seller })).status, 204);
  });
});

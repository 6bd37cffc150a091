// The catalog write path end to end: a seller's change through the proxy reaches search, exactly as committed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { api, type ApiRequest } from '../../scripts/api.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const SEARCH = 'http://127.0.0.1:8084';

const call = (path: string, init: ApiRequest = {}) => api(PROXY, path, init);

async function account(role: 'seller' | 'customer') {
  const email = `${role}-${randomUUID()}@catalog.example`;
  const password = 'catalog test password';
  assert.equal((await call('/api/auth/register', { method: 'POST', body: { email, password, name: `Test ${role}`, role } })).status, 201);
  return (await call('/api/auth/login', { method: 'POST', body: { email, password } })).body.accessToken as string;
}

/** Polls search (directly: the proxy's rate limit is not under test here) until `check` holds. */
async function searchUntil(q: string, check: (items: { id: string; name: string; price: string }[]) => boolean, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${SEARCH}/api/search?q=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { items: { id: string; name: string; price: string }[] };
    if (res.ok && check(body.items)) return body.items;
    if (Date.now() > end) throw new Error(`search for ${q} did not reach the expected state: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let seller: string;
let category: string;
before(async () => {
  seller = await account('seller');
  const tree = (await call('/api/categories')).body as { slug: string; children: { slug: string; children: unknown[] }[] }[];
  category = tree.find((c) => c.children.length)!.children[0]!.slug;
});

describe('catalog through the proxy into search', () => {
  it('creates, updates and deletes an item, and search follows', async () => {
    const word = `zq${randomUUID().slice(0, 8)}`;
    const created = await call('/api/items', { method: 'POST', token: seller, body: { name: `Кроссовки ${word}`, description: 'для бега', brand: 'nike ', category, price: 1999.9, stock: 3 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.price, '1999.90');
    assert.equal(created.body.version, 1);
    const id = created.body.id as string;
    await searchUntil(word, (items) => items.some((i) => i.id === id));

    const patched = await call(`/api/items/${id}`, { method: 'PATCH', token: seller, headers: { 'if-match': '"1"' }, body: { price: '1500.00' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.version, 2);
    await searchUntil(word, (items) => items.some((i) => i.id === id && i.price === '1500.00'));

    const stale = await call(`/api/items/${id}`, { method: 'PATCH', token: seller, headers: { 'if-match': '"1"' }, body: { price: '1.00' } });
    assert.equal(stale.status, 412);

    assert.equal((await call(`/api/items/${id}`, { method: 'DELETE', token: seller })).status, 204);
    await searchUntil(word, (items) => !items.some((i) => i.id === id));
    assert.equal((await call(`/api/items/${id}`)).status, 404);
  });

  it('keeps customers and other sellers away from an item', async () => {
    const created = await call('/api/items', { method: 'POST', token: seller, body: { name: 'Owned item', description: '', brand: 'Acme', category, price: '10.00', stock: 1 } });
    const id = created.body.id as string;
    const customer = await account('customer');
    const other = await account('seller');
    assert.equal((await call('/api/items', { method: 'POST', token: customer, body: { name: 'x', description: '', brand: 'x', category, price: '1.00', stock: 1 } })).status, 403);
    assert.equal((await call(`/api/items/${id}`, { method: 'PATCH', token: other, headers: { 'if-match': '"1"' }, body: { stock: 0 } })).status, 403);
    assert.equal((await call(`/api/items/${id}`, { method: 'DELETE', token: other })).status, 403);
    assert.equal((await call(`/api/items/${id}`, { method: 'PATCH', token: seller, headers: { 'if-match': '"1"' }, body: { sellerId: randomUUID() } })).status, 400);
  });
});

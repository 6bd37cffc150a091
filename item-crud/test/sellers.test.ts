// Seller profiles: created by the first item, public read, owner edit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { createItem, newUser, startApp, type Problem, type User } from './helpers.ts';

interface Profile { id: string; displayName: string; description: string; itemCount: number; createdAt: string }

let app: App;
let seller: User;
let customer: User;
before(async () => {
  app = await startApp();
  [seller, customer] = await Promise.all([newUser('seller'), newUser('customer')]);
});
after(async () => {
  await app.close();
});

const patchMe = (user: User | undefined, payload: Record<string, unknown>) =>
  app.inject({ method: 'PATCH', url: '/api/sellers/me', headers: user?.auth ?? {}, payload });

describe('seller profiles', () => {
  it('shows the public profile with the number of items on sale', async () => {
    const item = await createItem(app, seller);
    await createItem(app, seller);
    await app.inject({ method: 'DELETE', url: `/api/items/${item.id}`, headers: seller.auth });
    const res = await app.inject({ method: 'GET', url: `/api/sellers/${seller.id}` });
    assert.equal(res.statusCode, 200, res.body);
    const profile = res.json<Profile>();
    assert.deepEqual(Object.keys(profile).sort(), ['createdAt', 'description', 'displayName', 'id', 'itemCount']);
    assert.equal(profile.id, seller.id);
    assert.equal(profile.displayName, `Seller ${seller.id.slice(0, 8)}`);
    assert.equal(profile.description, '');
    assert.equal(profile.itemCount, 1, 'deleted items are not counted');
    assert.ok(!Number.isNaN(Date.parse(profile.createdAt)));
  });

  it('lets the seller change their own profile (trimmed), creating it when needed', async () => {
    const res = await patchMe(seller, { displayName: '  Лучший магазин  ', description: 'Электроника с гарантией' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<Profile>().displayName, 'Лучший магазин');
    const partial = await patchMe(seller, { description: 'Только описание' });
    assert.equal(partial.json<Profile>().displayName, 'Лучший магазин');
    assert.equal(partial.json<Profile>().description, 'Только описание');
    const read = await app.inject({ method: 'GET', url: `/api/sellers/${seller.id}` });
    assert.equal(read.json<Profile>().description, 'Только описание');

    const newcomer = await newUser('seller', 'newcomer');
    const created = await patchMe(newcomer, { description: 'Скоро открытие' });
    assert.equal(created.statusCode, 200, created.body);
    assert.equal(created.json<Profile>().displayName, `Seller ${newcomer.id.slice(0, 8)}`);
    assert.equal(created.json<Profile>().itemCount, 0);
  });

  it('refuses bad profile bodies, customers and anonymous callers', async () => {
    for (const body of [{}, { displayName: '   ' }, { displayName: 'x'.repeat(101) }, { description: 'd'.repeat(2001) }, { id: seller.id }, { itemCount: 5 }]) {
      assert.equal((await patchMe(seller, body)).statusCode, 400, JSON.stringify(body));
    }
    assert.equal((await patchMe(customer, { displayName: 'Shop' })).statusCode, 403);
    assert.equal((await patchMe(undefined, { displayName: 'Shop' })).statusCode, 401);
  });

  it("shows the caller's own profile at /api/sellers/me (404 before it exists; customers 403, anonymous 401)", async () => {
    const fresh = await newUser('seller');
    const none = await app.inject({ method: 'GET', url: '/api/sellers/me', headers: fresh.auth });
    assert.equal(none.statusCode, 404, none.body);
    assert.match(none.json<Problem>().detail ?? '', /PATCH \/api\/sellers\/me/);
    await patchMe(fresh, { displayName: 'Мой магазин' });
    const own = await app.inject({ method: 'GET', url: '/api/sellers/me', headers: fresh.auth });
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(own.json<Profile>().id, fresh.id);
    assert.equal(own.json<Profile>().displayName, 'Мой магазин');
    assert.equal((await app.inject({ method: 'GET', url: '/api/sellers/me', headers: customer.auth })).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/api/sellers/me' })).statusCode, 401);
  });

  it('answers 404 problem+json for an unknown seller and 400 for a malformed id', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/sellers/00000000-0000-4000-8000-000000000000' });
    assert.equal(missing.statusCode, 404);
    assert.match(String(missing.headers['content-type']), /^application\/problem\+json/);
    assert.equal(missing.json<Problem>().status, 404);
    const bad = await app.inject({ method: 'GET', url: '/api/sellers/not-a-uuid' });
    assert.equal(bad.statusCode, 400);
    assert.ok(bad.json<Problem>().errors?.some((e) => e.pointer === '/id'));
  });
});

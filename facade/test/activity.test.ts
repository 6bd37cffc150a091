// The facade's activity events: every product page answered (cached or not) is a product_view on user-activity
// with the caller's anonymous id; a page that is not answered (404) is none.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { activityEnd, readActivity } from '../../analytics/test/helpers.ts';
import { createItem, deleteTestGroups, newSeller, startApp } from './helpers.ts';

let app: App;
before(async () => {
  app = await startApp();
});
after(async () => {
  await app?.close();
  await deleteTestGroups();
});

describe('product views', () => {
  it('one product_view per page answered, none for a 404', async () => {
    const since = await activityEnd();
    const item = await createItem(await newSeller());
    const anon = `anon-${randomBytes(6).toString('hex')}`;
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url: `/api/products/${item.id}`, headers: { 'x-anonymous-id': anon } });
      assert.equal(res.statusCode, 200, res.body);
    }
    const missing = randomUUID();
    assert.equal((await app.inject({ method: 'GET', url: `/api/products/${missing}` })).statusCode, 404);
    const views = await readActivity(since, (e) => e.itemId === item.id || e.itemId === missing, (found) => found.length >= 3);
    assert.deepEqual(views.map((e) => [e.type, e.anonymousId]), [['product_view', anon], ['product_view', anon], ['product_view', anon]]);
  });
});

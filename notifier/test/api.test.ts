// GET /api/notifications and POST /api/notifications/:id/read against the real PostgreSQL and Kafka and the
// running sso: a person sees only their own notifications, newest first, paged; marking read is idempotent;
// another person's id is a 404; bad input is a 400.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { closeProducer, kafka, newEmail, newGroups, newOrderUid, newUser, orderEvent, sendEvent, sendOrderDocument, startNotifier, waitFor, type NotifierApp } from './helpers.ts';

interface Item { id: string; kind: string; orderUid: string; title: string; body: string; createdAt: string; readAt: string | null }
interface Page { items: Item[]; nextCursor: string | null }

const g = newGroups();
let service: NotifierApp;
before(async () => {
  service = await startNotifier(g);
});
after(async () => {
  await service.app.close();
  await closeProducer();
  const admin = kafka().admin();
  await admin.connect();
  await admin.deleteGroups([g.ORDER_EVENTS_GROUP, g.ORDERS_GROUP]).catch(() => undefined);
  await admin.disconnect();
});

type User = Awaited<ReturnType<typeof newUser>>;
const get = (user: User | undefined, query = '') =>
  service.app.inject({ method: 'GET', url: `/api/notifications${query}`, headers: user?.auth ?? {} });
const read = (user: User | undefined, id: string) =>
  service.app.inject({ method: 'POST', url: `/api/notifications/${id}/read`, headers: user?.auth ?? {} });
const page = async (user: User, query = ''): Promise<Page> => {
  const res = await get(user, query);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<Page>();
};

describe('the notification list of a signed-in person', () => {
  let alice: User;
  let bob: User;
  let orderUid: string;
  before(async () => {
    [alice, bob] = await Promise.all([newUser('alice'), newUser('bob')]);
    orderUid = newOrderUid();
    const t = Date.now();
    await sendOrderDocument({ orderUid, customerId: alice.id, email: newEmail('alice'), locale: 'ru' });
    await sendEvent(orderEvent('order.placed', { orderUid, customerId: alice.id }, { occurredAt: new Date(t - 2000).toISOString() }));
    await sendEvent(orderEvent('order.paid', { orderUid, customerId: alice.id }, { version: 2, occurredAt: new Date(t - 1000).toISOString() }));
    await sendEvent(orderEvent('order.placed', { orderUid: newOrderUid(), customerId: bob.id }));
    await waitFor('both lists', async () => (await page(alice)).items.length === 2 && (await page(bob)).items.length === 1);
  });

  it('shows only the caller\'s own, newest first, in the order\'s language (English without an order document)', async () => {
    const mine = await page(alice);
    assert.deepEqual(mine.items.map((n) => [n.kind, n.orderUid, n.readAt]), [['order.paid', orderUid, null], ['order.placed', orderUid, null]]);
    assert.equal(mine.items[0]!.title, `Заказ ${orderUid} оплачен`);
    assert.match(mine.items[1]!.body, /1\s999,90\s₽/);
    assert.equal(mine.nextCursor, null);
    const theirs = await page(bob);
    assert.equal(theirs.items.length, 1);
    assert.match(theirs.items[0]!.title, /^Order .* placed$/);
    assert.equal((await get(alice)).headers['cache-control'], 'no-store');
  });

  it('pages with limit and cursor', async () => {
    const first = await page(alice, '?limit=1');
    assert.equal(first.items.length, 1);
    assert.equal(first.items[0]!.kind, 'order.paid');
    assert.ok(first.nextCursor);
    const second = await page(alice, `?limit=1&cursor=${first.nextCursor}`);
    assert.deepEqual(second.items.map((n) => n.kind), ['order.placed']);
    assert.equal(second.nextCursor, null);
  });

  it('marks read idempotently; unread filters; another person\'s id is a 404 and changes nothing', async () => {
    const [paid, placed] = (await page(alice)).items;
    const foreign = await read(bob, paid!.id);
    assert.equal(foreign.statusCode, 404);
    assert.match(String(foreign.headers['content-type']), /^application\/problem\+json/);
    assert.equal((await page(alice)).items[0]!.readAt, null, "bob's attempt changed nothing");
    assert.equal((await read(alice, randomUUID())).statusCode, 404);

    const marked = await read(alice, paid!.id.toUpperCase());
    assert.equal(marked.statusCode, 204, marked.body);
    assert.equal(marked.body, '');
    const readAt = (await page(alice)).items[0]!.readAt;
    assert.ok(readAt);
    assert.equal((await read(alice, paid!.id)).statusCode, 204, 'again: still 204');
    assert.equal((await page(alice)).items[0]!.readAt, readAt, 'the first reading time stays');

    assert.deepEqual((await page(alice, '?unread=true')).items.map((n) => n.id), [placed!.id]);
    assert.deepEqual((await page(alice, '?unread=false')).items.map((n) => n.id), [paid!.id]);
    assert.deepEqual((await page(bob, '?unread=false')).items, []);
  });

  it('refuses anonymous callers and bad input', async () => {
    assert.equal((await get(undefined)).statusCode, 401);
    assert.equal((await read(undefined, randomUUID())).statusCode, 401);
    for (const query of ['?unread=maybe', '?limit=0', '?limit=101', '?limit=x', '?cursor=%00', '?cursor=a%00b', '?cursor=bm9wZQ', `?cursor=1.${randomUUID()}`, `?cursor=1_${randomUUID()}_x`, `?cursor=9999999999999999_${randomUUID()}`, '?other=1']) {
      const res = await get(alice, query);
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
    for (const id of ['nope', '123', `${randomUUID()}x`, '%00', `a%00${randomUUID().slice(2)}`]) {
      assert.equal((await read(alice, id)).statusCode, 400, id);
    }
  });
});

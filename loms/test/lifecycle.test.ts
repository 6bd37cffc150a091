// The order lifecycle after checkout (loms in-process, the real PostgreSQL, sso, item-crud and cart): cancel
// (the customer before shipping, an admin; a paid order refunded and restocked), ship and deliver (admin),
// illegal transitions 409, another customer's order 404, a customer shipping 403; each change with its event.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { validateOrderEvent } from '@shop/contracts';
import type { App } from '@shop/kit';
import { api } from '../../scripts/api.ts';
import { newAdmin } from '../../item-crud/test/helpers.ts';
import { ITEM_CRUD_URL, checkoutBody, createItem, item, person, pool, putInCart, registerClient, startApp } from './helpers.ts';

let app: App;
let db: pg.Pool;
let seller: { id: string; token: string };
let admin: { token: string };
before(async () => {
  app = await startApp(registerClient(), { RECOVERY_ENABLED: 'false' });
  db = pool();
  [seller, admin] = await Promise.all([person('seller'), newAdmin()]);
});
after(async () => {
  await app.close();
  await db.end();
});

const act = (token: string, uid: string, action: string) =>
  app.inject({ method: 'POST', url: `/api/orders/${uid}/${action}`, headers: { authorization: `Bearer ${token}` } });

/** A paid order of a new customer: 2 of a new item with 5 in stock. */
async function paidOrder(card = '4242424242424242') {
  const buyer = await person('customer');
  const lamp = await createItem(seller.token, 5, '100.00');
  await putInCart(buyer.token, lamp.id, 2);
  const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${buyer.token}`, 'idempotency-key': randomUUID() }, payload: checkoutBody(card) });
  assert.ok([201, 402].includes(res.statusCode), res.body);
  return { buyer, lamp, uid: res.json().orderUid as string };
}

const events = async (uid: string) =>
  (await db.query<{ payload: { type: string; version: number; data: { status: string } } }>(`SELECT payload FROM outbox WHERE key = $1 AND topic = 'order-events' ORDER BY id`, [uid])).rows.map((r) => r.payload);

describe('order lifecycle', () => {
  it('the customer cancels a paid order: refunded, stock returned, order.cancelled; a second cancel is a 409', async () => {
    const { buyer, lamp, uid } = await paidOrder();
    assert.equal((await item(lamp.id)).stock, 3);
    const res = await act(buyer.token, uid, 'cancel');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual([res.json().status, res.json().version, res.json().total], ['cancelled', 3, '200.00']);
    assert.deepEqual(await item(lamp.id).then((i) => [i.stock, i.reserved]), [5, 0]);
    const charge = await db.query('SELECT refunded_at FROM sandbox_charges WHERE order_uid = $1', [uid]);
    assert.ok(charge.rows[0].refunded_at, 'refunded');
    const all = await events(uid);
    assert.deepEqual(all.map((e) => [e.type, e.version, e.data.status]), [['order.placed', 1, 'placed'], ['order.paid', 2, 'paid'], ['order.cancelled', 3, 'cancelled']]);
    for (const e of all) assert.ok(validateOrderEvent(e).ok);
    const again = await act(buyer.token, uid, 'cancel');
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().currentStatus, 'cancelled');
    assert.equal((await item(lamp.id)).stock, 5, 'nothing restocked twice');
  });

  it('an admin ships and delivers; the customer can no longer cancel; illegal transitions are 409', async () => {
    const { buyer, lamp, uid } = await paidOrder();
    assert.equal((await act(admin.token, uid, 'deliver')).statusCode, 409, 'a paid order is not delivered before it ships');
    const shipped = await act(admin.token, uid, 'ship');
    assert.equal(shipped.statusCode, 200, shipped.body);
    assert.deepEqual([shipped.json().status, shipped.json().version], ['shipped', 3]);
    assert.equal((await act(admin.token, uid, 'ship')).statusCode, 409);
    const late = await act(buyer.token, uid, 'cancel');
    assert.equal(late.statusCode, 409, 'the customer cancels only before shipping');
    const delivered = await act(admin.token, uid, 'deliver');
    assert.deepEqual([delivered.statusCode, delivered.json().status, delivered.json().version], [200, 'delivered', 4]);
    assert.equal((await act(admin.token, uid, 'cancel')).statusCode, 409, 'a delivered order stays delivered');
    assert.deepEqual((await events(uid)).map((e) => e.type), ['order.placed', 'order.paid', 'order.shipped', 'order.delivered']);
    assert.equal((await item(lamp.id)).stock, 3);
  });

  it('an order whose cancellation is under way (a crash left its intent) cannot be shipped; the cancellation still can finish', async () => {
    const { buyer, lamp, uid } = await paidOrder();
    await db.query('UPDATE orders SET cancel_requested_at = now() WHERE uid = $1', [uid]);
    const ship = await act(admin.token, uid, 'ship');
    assert.equal(ship.statusCode, 409, ship.body);
    assert.match(ship.json().detail, /being cancelled/);
    const cancel = await act(buyer.token, uid, 'cancel');
    assert.equal(cancel.statusCode, 200, cancel.body);
    assert.equal((await item(lamp.id)).stock, 5);
    assert.equal((await db.query('SELECT cancel_requested_at FROM orders WHERE uid = $1', [uid])).rows[0].cancel_requested_at, null);
  });

  it('an admin may cancel a shipped order (refund and restock)', async () => {
    const { lamp, uid } = await paidOrder();
    assert.equal((await act(admin.token, uid, 'ship')).statusCode, 200);
    const res = await act(admin.token, uid, 'cancel');
    assert.deepEqual([res.statusCode, res.json().status], [200, 'cancelled']);
    assert.equal((await item(lamp.id)).stock, 5);
  });

  it("BOLA: another customer's order is a 404, a customer shipping is a 403, unknown uids 404, a user token on /internal/ 403", async () => {
    const { buyer, uid } = await paidOrder();
    const other = await person('customer');
    const res = await act(other.token, uid, 'cancel');
    assert.equal(res.statusCode, 404);
    assert.equal((await act(buyer.token, uid, 'ship')).statusCode, 403);
    assert.equal((await act(buyer.token, uid, 'deliver')).statusCode, 403);
    assert.equal((await act(seller.token, uid, 'ship')).statusCode, 403);
    assert.equal((await act(admin.token, randomUUID().replaceAll('-', ''), 'ship')).statusCode, 404);
    assert.equal((await act(buyer.token, 'bad uid!', 'cancel')).statusCode, 400);
    assert.equal((await app.inject({ method: 'POST', url: `/api/orders/${uid}/cancel` })).statusCode, 401);
    const order = await db.query('SELECT status, version FROM orders WHERE uid = $1', [uid]);
    assert.deepEqual(order.rows[0], { status: 'paid', version: 2 }, 'nothing changed');
    const internal = await api(ITEM_CRUD_URL, `/internal/reservations/${uid}/restock`, { method: 'POST', token: buyer.token });
    assert.equal(internal.status, 403, 'a person cannot call the reservations');
  });

  it('a payment_failed order cannot be cancelled or shipped', async () => {
    const { buyer, uid } = await paidOrder('4000000000000002');
    assert.equal((await act(buyer.token, uid, 'cancel')).statusCode, 409);
    assert.equal((await act(admin.token, uid, 'ship')).statusCode, 409);
  });
});

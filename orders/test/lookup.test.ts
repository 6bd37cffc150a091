// The order lookup page end to end in headless Chromium (Debian's package, driven by playwright-core; no
// browser download) through the proxy on 8080 and the running orders service: a customer signs in on the
// page, types an order uid, clicks Find and reads the order laid out (status, delivery, payment, items); an
// unknown uid and another customer's order get the same clear message. Screenshots go to
// orders/test/output/ (TEST_OUTPUT_DIR overrides).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ORDER_EVENTS_TOPIC, ORDERS_TOPIC } from '@shop/contracts';
import { PASSWORD } from '../../item-crud/test/helpers.ts';
import { closeProducer, eventMessage, generator, newUser, orderEvent, send, suffix, waitFor, type User } from './helpers.ts';
import type { OrderDocument } from '../src/services/validation.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = process.env.TEST_OUTPUT_DIR ?? fileURLToPath(new URL('./output/', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

let browser: Browser;
let alice: User;
let bob: User;
let order: OrderDocument;
let bobs: OrderDocument;

before(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  [alice, bob] = await Promise.all([newUser('customer', 'lookup-alice'), newUser('customer', 'lookup-bob')]);
  const prefix = `lookup${suffix()}`;
  order = generator({ uidPrefix: prefix, customerId: alice.id }).order(3);
  bobs = generator({ uidPrefix: `${prefix}b`, customerId: bob.id }).order(1);
  // The shared `orders` topic, as a sales channel would send them; the running orders service stores them.
  await send(ORDERS_TOPIC, [order, bobs].map((d) => ({ key: d.order_uid, value: Buffer.from(JSON.stringify(d)) })));
  const t0 = Date.now() - 5_000;
  await send(ORDER_EVENTS_TOPIC, [
    orderEvent('order.placed', { orderUid: order.order_uid, customerId: alice.id }, 1, new Date(t0)),
    orderEvent('order.paid', { orderUid: order.order_uid, customerId: alice.id }, 2, new Date(t0 + 1000)),
  ].map(eventMessage));
  await waitFor('the order with its status through the proxy', async () => {
    const res = await fetch(`${PROXY}/api/orders/${order.order_uid}`, { headers: alice.auth });
    return res.ok && (await res.json() as { status: string }).status === 'paid';
  }, 30_000, 200);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
after(async () => {
  await browser?.close();
  await closeProducer();
});

const find = async (page: Page, uid: string) => {
  await page.fill('#uid', uid);
  await page.click('#find');
};

describe('orders: the lookup page in Chromium through the proxy', () => {
  it('signs a customer in, finds the order by uid and lays it out; unknown and others\' uids get a clear message', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1200 }, locale: 'en-US' });
    await page.goto(`${PROXY}/orders/lookup`);
    assert.equal(await page.isVisible('#signin'), true);
    await page.fill('#email', alice.email);
    await page.fill('#password', PASSWORD);
    await page.click('#signin-button');
    await page.waitForSelector('#lookup:not([hidden])');

    await find(page, order.order_uid);
    await page.waitForSelector('#summary');
    assert.match(await page.textContent('#summary h2') ?? '', new RegExp(order.order_uid));
    assert.equal(await page.textContent('#status'), 'Paid');
    const delivery = await page.textContent('#delivery') ?? '';
    for (const text of [order.delivery.name, order.delivery.city, order.delivery.address, order.delivery.phone]) assert.ok(delivery.includes(text), `delivery shows ${text}`);
    const payment = await page.textContent('#payment') ?? '';
    assert.ok(payment.includes(order.payment.provider) && payment.includes(order.payment.bank));
    const total = await page.textContent('#total') ?? '';
    const major = Math.floor(order.payment.amount / 100).toLocaleString('en-US');
    assert.ok(total.replace(/\s/g, '').includes(major.replace(/\s/g, '')), `total ${total} shows ${major}`);
    assert.equal(await page.locator('#items tbody tr').count(), 3);
    for (const item of order.items) assert.ok((await page.textContent('#items'))!.includes(item.name));
    assert.equal(await page.locator('#history li').count(), 2);
    await page.screenshot({ path: join(OUTPUT, 'lookup-order.png'), fullPage: true });

    await find(page, `${order.order_uid}-nosuch`);
    await page.waitForSelector('#message.error');
    assert.match(await page.textContent('#message') ?? '', /No order .* was found/);
    assert.equal(await page.isVisible('#order'), false);
    await page.screenshot({ path: join(OUTPUT, 'lookup-unknown.png'), fullPage: true });

    await find(page, bobs.order_uid);
    await page.waitForSelector(`#message.error:has-text("${bobs.order_uid}")`);
    assert.match(await page.textContent('#message') ?? '', /No order .* was found/);
    assert.ok(!(await page.content()).includes(bobs.delivery.email));
    await page.close();
  });
});

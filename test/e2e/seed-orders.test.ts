// The demo orders of ./make.sh up (scripts/seed-orders.ts) through the proxy, on customers of the test's own
// (--prefix): every planned order is placed or declined, some are shipped, delivered and one cancelled; running the
// script again changes nothing (its keys replay the stored answers, or the order store already lists the customers).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, it } from 'node:test';
import { api } from '../../scripts/api.ts';
import { signUp } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const LOMS_DB = process.env.DATABASE_URL_LOMS ?? 'postgresql://shop:shop@127.0.0.1:5432/loms';
const SCRIPT = fileURLToPath(new URL('../../scripts/seed-orders.ts', import.meta.url));

interface Stats { placed: number; replayed: number; declined: number; outOfStock: number; skippedCustomers: number; shipped: number; delivered: number; cancelled: number }
const run = (prefix: string): Stats =>
  (JSON.parse(execFileSync(process.execPath, [SCRIPT, '--customers', '2', '--orders', '4', '--prefix', prefix], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { orders: Stats }).orders;

describe('demo orders (scripts/seed-orders.ts)', () => {
  it('places, declines, ships, delivers and cancels as planned, and a second run changes nothing', async () => {
    // The newest in-stock items of the catalog are what the script orders: 24 with plenty of stock cover every line
    // of 2 customers × 4 orders (each customer takes its own stretch of 12).
    const seller = await signUp(SSO, { email: `seed-orders-seller-${randomUUID()}@test.example`, password: 'seed orders password', name: 'Seed seller', role: 'seller' });
    for (let i = 0; i < 24; i++) {
      const res = await api(PROXY, '/api/items', { method: 'POST', token: seller.token, body: { name: `Seed orders lamp ${i} ${randomUUID().slice(0, 6)}`, brand: 'Ikea', category: 'furniture', price: '15.00', stock: 500 } });
      assert.equal(res.status, 201);
    }
    const prefix = `seedtest-${randomUUID().slice(0, 8)}`;
    const first = run(prefix);
    assert.deepEqual([first.placed, first.declined, first.outOfStock], [7, 1, 0], JSON.stringify(first));
    assert.equal(first.cancelled, 1);
    assert.ok(first.shipped >= 2 && first.delivered >= 1, JSON.stringify(first));

    const db = new pg.Pool({ connectionString: LOMS_DB, max: 1 });
    try {
      const count = async () => (await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM idempotency_keys WHERE key LIKE $1 AND state = 'done'`, [`${prefix}-order-%`])).rows[0]!.n;
      const statuses = async () => (await db.query<{ status: string; n: number }>(
        `SELECT o.status, count(*)::int AS n FROM orders o JOIN checkouts c ON c.order_uid = o.uid WHERE c.idempotency_key LIKE $1 GROUP BY 1 ORDER BY 1`, [`${prefix}-order-%`])).rows;
      const before = { keys: await count(), statuses: await statuses() };
      assert.equal(before.keys, 8, 'one stored answer per order');

      const second = run(prefix);
      assert.deepEqual([second.placed, second.declined, second.shipped, second.delivered, second.cancelled], [0, 0, 0, 0, 0], JSON.stringify(second));
      assert.equal(second.replayed + second.skippedCustomers * 4, 8, 'every order was replayed or its customer skipped');
      assert.deepEqual({ keys: await count(), statuses: await statuses() }, before, 'nothing changed');
    } finally {
      await db.end();
    }
  });
});

// kill -9 of loms between the checkout's steps (after the reservation, after the charge): after a restart the
// recovery pass leaves exactly one consistent outcome — released and no charge, or one paid order with its stock
// taken — and no reservation held. The same for a cancellation killed after its intent or after the refund and
// the restock: the restart finishes it once. loms runs as a child process (test/child.ts) paused after the step,
// then SIGKILLed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import type { App } from '@shop/kit';
import { freePort, waitFor } from '../../test/support.ts';
import { checkoutBody, createItem, item, person, pool, putInCart, registerClient, startApp, testEnv } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

let db: pg.Pool;
let client: { clientId: string; clientSecret: string };
let seller: { id: string; token: string };
let child: ChildProcess | undefined;
let app: App | undefined;
before(async () => {
  db = pool();
  client = registerClient();
  seller = await person('seller');
});
after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await app?.close();
  await db.end();
});

const checkoutOf = async (customerId: string) =>
  (await db.query<{ order_uid: string; state: string }>('SELECT order_uid, state FROM checkouts WHERE customer_id = $1', [customerId])).rows;
const count = async (sql: string, args: unknown[]) => (await db.query<{ n: number }>(sql, args)).rows[0]!.n;

describe('kill -9 between the checkout steps', () => {
  const outcomes = {
    reserved: 'releases the units, charges nothing, frees the key',
    charged: 'records exactly one paid order, stock taken, the key answers it',
    recorded: 'keeps the one order and makes the key answer it (the answer was never stored)',
  };
  for (const step of ['reserved', 'charged', 'recorded'] as const) {
    it(`after "${step}": a restart ${outcomes[step]}`, async () => {
      const buyer = await person('customer');
      const lamp = await createItem(seller.token, 3);
      await putInCart(buyer.token, lamp.id, 2);

      const port = await freePort();
      child = spawn(process.execPath, [CHILD], {
        env: testEnv(client, { PORT: String(port), PAUSE_AT: step, RECOVERY_ENABLED: 'false', LOG_LEVEL: 'error' }), stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', () => undefined);
      await waitFor('the child to listen', async () => (await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined))?.ok, 30_000);
      const key = randomUUID();
      const body = checkoutBody();
      const request = fetch(`http://127.0.0.1:${port}/api/orders`, {
        method: 'POST', headers: { authorization: `Bearer ${buyer.token}`, 'idempotency-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body),
      }).then(() => 'answered', () => 'failed');

      const [row] = await waitFor(`the checkout to reach ${step}`, async () => {
        const rows = await checkoutOf(buyer.id);
        return rows[0]?.state === step ? rows : undefined;
      }, 30_000);
      const uid = row!.order_uid;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      assert.equal(await request, 'failed', 'the request never got an answer');
      assert.deepEqual(await item(lamp.id).then((i) => [i.stock, i.reserved]), step === 'recorded' ? [1, 0] : [3, 2], 'the units as the process left them');
      assert.equal(await count('SELECT count(*)::int AS n FROM sandbox_charges WHERE order_uid = $1', [uid]), step === 'reserved' ? 0 : 1);

      // The restart: loms in-process with its recovery pass (any unfinished checkout, right away).
      // Only the pass at start: with a threshold of 0 a later pass would also take over the replay below while it runs.
      app = await startApp(client, { RECOVERY_AFTER_SECONDS: '0', RECOVERY_INTERVAL_MS: '600000' });
      try {
        await waitFor('the recovery pass to settle the checkout', async () => {
          const state = (await checkoutOf(buyer.id))[0]?.state;
          const running = await count(`SELECT count(*)::int AS n FROM idempotency_keys WHERE user_id = $1 AND state = 'running'`, [buyer.id]);
          return (state === 'recorded' || state === 'released') && running === 0 ? state : undefined;
        }, 30_000);
        const orders = await db.query<{ uid: string; status: string }>('SELECT uid, status FROM orders WHERE customer_id = $1', [buyer.id]);
        const lampNow = await item(lamp.id);
        assert.equal(lampNow.reserved, 0, 'no reservation leaks');

        const replay = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${buyer.token}`, 'idempotency-key': key }, payload: body });
        if (step === 'reserved') {
          assert.deepEqual((await checkoutOf(buyer.id)).filter((c) => c.order_uid === uid).map((c) => c.state), ['released']);
          assert.deepEqual(orders.rows, [], 'no order');
          assert.equal(lampNow.stock, 3);
          assert.equal(await count('SELECT count(*)::int AS n FROM sandbox_charges WHERE order_uid = $1', [uid]), 0, 'no charge');
          // The key was freed: the same request again places the order now.
          assert.equal(replay.statusCode, 201, replay.body);
          assert.notEqual(replay.json().orderUid, uid);
        } else {
          assert.deepEqual(orders.rows, [{ uid, status: 'paid' }], 'exactly one paid order');
          assert.equal(lampNow.stock, 1);
          assert.equal(await count('SELECT count(*)::int AS n FROM sandbox_charges WHERE order_uid = $1', [uid]), 1, 'charged once');
          const events = await db.query<{ topic: string; type: string | null }>(`SELECT topic, payload->>'type' AS type FROM outbox WHERE key = $1 ORDER BY id`, [uid]);
          assert.deepEqual(events.rows.map((e) => [e.topic, e.type]), [['orders', null], ['order-events', 'order.placed'], ['order-events', 'order.paid']]);
          // The key answers the recovered order.
          assert.equal(replay.statusCode, 201, replay.body);
          assert.equal(replay.json().orderUid, uid);
          assert.equal(await count('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [buyer.id]), 1);
        }
      } finally {
        await app.close();
        app = undefined;
      }
    });
  }
});

describe('kill -9 inside a cancellation', () => {
  for (const step of ['requested', 'given-back'] as const) {
    it(`after "${step}": a restart finishes the cancellation once (refunded once, the units back once, one order.cancelled)`, async () => {
      const buyer = await person('customer');
      const lamp = await createItem(seller.token, 3);
      await putInCart(buyer.token, lamp.id, 2);
      const port = await freePort();
      child = spawn(process.execPath, [CHILD], {
        env: testEnv(client, { PORT: String(port), PAUSE_AT: `cancel:${step}`, RECOVERY_ENABLED: 'false', LOG_LEVEL: 'error' }), stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', () => undefined);
      const base = `http://127.0.0.1:${port}`;
      await waitFor('the child to listen', async () => (await fetch(`${base}/health/live`).catch(() => undefined))?.ok, 30_000);
      const headers = { authorization: `Bearer ${buyer.token}`, 'content-type': 'application/json' };
      const placed = await fetch(`${base}/api/orders`, { method: 'POST', headers: { ...headers, 'idempotency-key': randomUUID() }, body: JSON.stringify(checkoutBody()) });
      assert.equal(placed.status, 201);
      const uid = (await placed.json() as { orderUid: string }).orderUid;
      assert.equal((await item(lamp.id)).stock, 1);

      const request = fetch(`${base}/api/orders/${uid}/cancel`, { method: 'POST', headers: { authorization: headers.authorization } }).then(() => 'answered', () => 'failed');
      const refunded = async () => count('SELECT count(*)::int AS n FROM sandbox_charges WHERE order_uid = $1 AND refunded_at IS NOT NULL', [uid]);
      await waitFor(`the cancellation to reach ${step}`, async () => {
        const requested = await count('SELECT count(*)::int AS n FROM orders WHERE uid = $1 AND cancel_requested_at IS NOT NULL', [uid]);
        if (!requested) return undefined;
        return step === 'requested' || ((await refunded()) === 1 && (await item(lamp.id)).stock === 3) ? true : undefined;
      }, 30_000);
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      assert.equal(await request, 'failed', 'the request never got an answer');
      const status = async () => (await db.query<{ status: string }>('SELECT status FROM orders WHERE uid = $1', [uid])).rows[0]!.status;
      assert.equal(await status(), 'paid', 'the status as the process left it');
      assert.deepEqual([(await item(lamp.id)).stock, await refunded()], step === 'requested' ? [1, 0] : [3, 1]);

      app = await startApp(client, { RECOVERY_AFTER_SECONDS: '0', RECOVERY_INTERVAL_MS: '600000' });
      try {
        await waitFor('the recovery pass to finish the cancellation', async () => ((await status()) === 'cancelled' ? true : undefined), 30_000);
        assert.deepEqual([(await item(lamp.id)).stock, (await item(lamp.id)).reserved, await refunded()], [3, 0, 1], 'the units back once, refunded once');
        assert.equal(await count('SELECT count(*)::int AS n FROM orders WHERE uid = $1 AND cancel_requested_at IS NOT NULL', [uid]), 0);
        const events = await db.query<{ type: string }>(`SELECT payload->>'type' AS type FROM outbox WHERE key = $1 AND topic = 'order-events' ORDER BY id`, [uid]);
        assert.deepEqual(events.rows.map((e) => e.type), ['order.placed', 'order.paid', 'order.cancelled']);
        // Done: a second cancellation is an illegal transition and changes nothing.
        const again = await app.inject({ method: 'POST', url: `/api/orders/${uid}/cancel`, headers: { authorization: headers.authorization } });
        assert.equal(again.statusCode, 409, again.body);
        assert.equal((await item(lamp.id)).stock, 3);
      } finally {
        await app.close();
        app = undefined;
      }
    });
  }
});

// Nothing lost, nothing doubled: 5,000 generated orders (5 % invalid, 2 % duplicates, 1 % conflicts) stream
// into an orders service running as a child process, which is killed with SIGKILL mid-stream and started
// again, and whose PostgreSQL (a private cluster: the stack's shared server is not touched) is stopped like a
// crash for 20 s mid-stream and started again. Afterwards every valid order is stored exactly once with all
// four tables, a conflicting document never replaced the stored one, every refusal is in the DLQ, and the
// group's committed offsets reach the end of every partition.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { freePort, testDatabase } from '../../test/support.ts';
import { OrderGenerator, summarize, type GeneratedMessage } from '../src/services/generator.ts';
import { contentHash, type OrderDocument } from '../src/services/validation.ts';
import { closeProducer, createTestTopics, dropTestTopics, isolation, kafka, producerOnce, readTopic, sleep, suffix, testEnv, waitFor } from './helpers.ts';
import { PrivatePostgres } from './private-postgres.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const COUNT = Number(process.env.STREAM_COUNT ?? 5_000);
const RATE = Number(process.env.STREAM_RATE ?? 100); // orders/s: the stream lasts ~50 s
const env = isolation();
const prefix = `stream${suffix()}`;
const server = new PrivatePostgres();
let admin: Admin;
let url: string;
let port: number;
let child: ChildProcess | undefined;
let pool: pg.Pool;

function startChild(): ChildProcess {
  const log = openSync(join(server.dir, 'orders.log'), 'a');
  const started = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...testEnv({ ...env, DATABASE_URL: url, PORT: String(port), LOG_LEVEL: 'warn', CACHE_WARM_COUNT: '100' }) },
    stdio: ['ignore', log, log],
  });
  child = started;
  return started;
}
const ready = () => waitFor('the orders child ready', async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, 60_000, 200);
const metric = async (name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
};

before(async () => {
  await server.init();
  url = await testDatabase(server.url('postgres'), 'orders', 'orders.config.ts', 'DATABASE_URL_ORDERS');
  pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  port = await freePort();
  admin = kafka().admin();
  await admin.connect();
  await createTestTopics(admin, env);
});
after(async () => {
  child?.kill('SIGKILL');
  await closeProducer();
  await dropTestTopics(admin, env);
  await admin.disconnect();
  await pool.end().catch(() => undefined);
  server.destroy();
});

describe('orders: a stream through kill -9 and a PostgreSQL outage', () => {
  it(`stores every valid order of ${COUNT} exactly once`, { timeout: 10 * 60_000 }, async () => {
    const messages = new OrderGenerator({ count: COUNT, invalid: 0.05, duplicates: 0.02, conflicts: 0.01, seed: 20261202, uidPrefix: prefix }).messages();
    const summary = summarize(messages);
    startChild();
    await ready();

    const producer = await producerOnce();
    const started = Date.now();
    const events: string[] = [];
    let killed = false;
    let stopped = false;
    let restarted = false;
    let retriesDuringOutage = 0;
    const chunk = Math.max(1, Math.round(RATE / 10));
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send({ topic: env.ORDERS_TOPIC!, acks: -1, messages: messages.slice(i, i + chunk).map((m: GeneratedMessage) => ({ key: m.key, value: m.value })) });
      const elapsed = Date.now() - started;
      if (!killed && i >= messages.length * 0.2) {
        killed = true;
        child!.kill('SIGKILL');
        events.push(`SIGKILL at message ${i} (${elapsed} ms)`);
        startChild();
      }
      if (!stopped && i >= messages.length * 0.4) {
        stopped = true;
        server.stop();
        events.push(`PostgreSQL stopped at message ${i} (${elapsed} ms)`);
        setTimeout(() => {
          void (async () => {
            retriesDuringOutage = await metric('orders_retries_total').catch(() => -1);
            server.start();
            restarted = true;
            events.push(`PostgreSQL started again (${Date.now() - started} ms)`);
          })();
        }, 20_000).unref();
      }
      const due = started + ((i + chunk) / RATE) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    events.push(`stream sent (${Date.now() - started} ms)`);
    await waitFor('PostgreSQL back', () => restarted, 60_000, 200);

    // Done: the group's committed offsets reach the end of every partition.
    await waitFor('the group at the end of the topic', async () => {
      const high = await admin.fetchTopicOffsets(env.ORDERS_TOPIC!);
      const [committed] = await admin.fetchOffsets({ groupId: env.ORDERS_GROUP!, topics: [env.ORDERS_TOPIC!] });
      return high.every((p) => committed!.partitions.find((c) => c.partition === p.partition)?.offset === p.high);
    }, 5 * 60_000, 500);
    events.push(`all committed (${Date.now() - started} ms)`);

    const valid = messages.filter((m) => m.kind === 'valid');
    const expected = new Map(valid.map((m) => [m.uid, JSON.parse(m.value!.toString()) as OrderDocument]));
    const { rows } = await pool.query<{ order_uid: string; content_sha256: string; deliveries: number; payments: number; items: number }>(
      `SELECT o.order_uid, o.content_sha256,
         (SELECT count(*)::int FROM deliveries d WHERE d.order_id = o.id) AS deliveries,
         (SELECT count(*)::int FROM payments p WHERE p.order_id = o.id) AS payments,
         (SELECT count(*)::int FROM order_items i WHERE i.order_id = o.id) AS items
       FROM orders o WHERE o.order_uid LIKE $1`,
      [`${prefix}%`],
    );
    assert.equal(rows.length, expected.size, `stored ${rows.length} of ${expected.size} valid orders`);
    for (const row of rows) {
      const doc = expected.get(row.order_uid);
      assert.ok(doc, `${row.order_uid} was not a valid order`);
      assert.equal(row.content_sha256, contentHash(doc), `${row.order_uid}: the first valid content is stored (no conflict replaced it)`);
      assert.deepEqual([row.deliveries, row.payments, row.items], [1, 1, doc.items.length], row.order_uid);
    }

    const refused = new Set(messages.filter((m) => m.kind === 'invalid' || m.kind === 'conflict').map((m) => m.uid));
    const dead = await readTopic(admin, env.ORDERS_DLQ_TOPIC!, (read) => [...refused].every((uid) => read.some((r) => r.message.key?.toString() === uid)), 60_000);
    const deadUids = new Set(dead.map((r) => r.message.key!.toString()));
    for (const uid of deadUids) assert.ok(refused.has(uid), `${uid} dead-lettered but it was valid`);

    console.log(JSON.stringify({ summary, events, stored: rows.length, deadLetters: dead.length, refused: refused.size, retriesBeforeRestart: retriesDuringOutage, retriesAfter: await metric('orders_retries_total') }));
    assert.ok(retriesDuringOutage > 0, 'the consumer retried while PostgreSQL was down');
  });
});

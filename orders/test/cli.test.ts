// The operator CLI as a person runs it (a child process), on the test's own topics with an orders instance
// consuming them: `generate` publishes what it says it did and every valid order is stored once; `dlq list`
// shows each dead letter with its reason and source; `dlq replay --reason` re-publishes only those.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import {
  KAFKA_BROKERS, closeProducer, counts, createTestTopics, db, dropTestTopics, isolation, kafka, readTopic, startOrders, suffix, waitFor, type OrdersApp,
} from './helpers.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const env = isolation();
const prefix = `cli${suffix()}`;
let admin: Admin;
let pool: pg.Pool;
let app: OrdersApp;

const cli = async (...args: string[]) => {
  const { stdout } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, KAFKA_BROKERS, ORDERS_TOPIC: env.ORDERS_TOPIC, ORDERS_DLQ_TOPIC: env.ORDERS_DLQ_TOPIC } });
  return JSON.parse(stdout);
};

before(async () => {
  admin = kafka().admin();
  await admin.connect();
  await createTestTopics(admin, env);
  pool = db();
  app = await startOrders(env);
});
after(async () => {
  await app?.app.close();
  await closeProducer();
  await dropTestTopics(admin, env);
  await admin.disconnect();
  await pool.end();
});

describe('orders CLI', () => {
  it('generate publishes what it prints; every valid order is stored once; dlq list shows the refusals; replay re-publishes one reason', async () => {
    const out = join(tmpdir(), `${prefix}.json`);
    const sent = await cli('generate', '--count', '400', '--invalid', '0.1', '--duplicates', '0.05', '--conflicts', '0.05', '--seed', '42', '--prefix', prefix, '--out', out);
    assert.equal(sent.ok, true);
    assert.equal(sent.sent, 400);
    assert.equal(sent.valid + sent.invalid + sent.duplicates + sent.conflicts, 400);
    assert.ok(sent.invalid > 10 && sent.duplicates > 0 && sent.conflicts > 0, JSON.stringify(sent));
    const messages = JSON.parse(readFileSync(out, 'utf8')) as { uid: string; kind: string; invalid?: string }[];
    const valid = new Set(messages.filter((m) => m.kind === 'valid').map((m) => m.uid));
    assert.equal(valid.size, sent.valid);

    await waitFor('every valid order stored', async () => (await counts(pool, prefix)).orders === valid.size, 30_000, 200);
    const { rows } = await pool.query<{ order_uid: string }>('SELECT order_uid FROM orders WHERE order_uid LIKE $1', [`${prefix}%`]);
    assert.deepEqual(new Set(rows.map((r) => r.order_uid)), valid);

    const expectedDead = sent.invalid + sent.conflicts;
    await readTopic(admin, env.ORDERS_DLQ_TOPIC!, (read) => read.length >= expectedDead, 30_000);
    const listed = await cli('dlq', 'list', '--limit', '1000');
    assert.equal(listed.total, expectedDead);
    assert.equal(listed.byReason.conflict, sent.conflicts);
    assert.equal(listed.byReason['implausible-date'], sent.invalidByKind['implausible-date']);
    const letter = listed.items.find((d: { reason: string }) => d.reason === 'inconsistent');
    assert.equal(letter.source.topic, env.ORDERS_TOPIC);
    assert.equal(typeof letter.source.partition, 'number');
    assert.match(letter.detail, /amount/);
    const onlyDates = await cli('dlq', 'list', '--reason', 'implausible-date');
    assert.equal(onlyDates.total, sent.invalidByKind['implausible-date']);

    const replayed = await cli('dlq', 'replay', '--reason', 'implausible-date');
    assert.equal(replayed.replayed, onlyDates.total);
    const again = await readTopic(admin, env.ORDERS_DLQ_TOPIC!, (read) => read.length >= expectedDead + onlyDates.total, 30_000);
    assert.equal(again.filter((r) => r.header('x-replayed-from')).length, onlyDates.total);
    assert.equal((await counts(pool, prefix)).orders, valid.size);
  });

  it('refuses a bad command line with exit code 64', async () => {
    await assert.rejects(run(process.execPath, [CLI, 'generate', '--count', 'many']), (err: { code?: number }) => err.code === 64);
    await assert.rejects(run(process.execPath, [CLI, 'dlq', 'drop']), (err: { code?: number }) => err.code === 64);
  });
});

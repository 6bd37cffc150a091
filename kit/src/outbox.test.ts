// The documented outbox table is the one item-crud runs on: the generated DDL and Prisma model match
// the shop schema and its first migration (a drift here means new services would copy a different table).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Metrics } from './metrics.ts';
import { OutboxRelay, outboxPrismaModel, outboxTableSql, relayMetrics, type OutboxStore, type RelayProducer } from './outbox.ts';

const read = (path: string) => readFileSync(new URL(`../../prisma/shop/${path}`, import.meta.url), 'utf8');
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('outbox table', () => {
  it('outboxTableSql() is what the shop migration created for item-crud', () => {
    const migration = squash(read('migrations/20261121000000_init/migration.sql'));
    const statements = outboxTableSql().split(/;\s*\n/).map((s) => squash(s).replace(/^-- \w+ /, '')).filter(Boolean);
    assert.equal(statements.length, 3, 'the table and two indexes');
    for (const statement of statements) assert.ok(migration.includes(statement), `not in the migration: ${statement}`);
  });

  it('outboxPrismaModel() is the model of the shop schema', () => {
    const schema = squash(read('schema.prisma'));
    const model = squash(outboxPrismaModel().split('\n').filter((l) => !l.startsWith('///')).join('\n'));
    assert.ok(schema.includes(model), model);
  });

  it('names the table, its constraints and indexes after the table', () => {
    const sql = outboxTableSql({ table: 'events.order_outbox' });
    assert.match(sql, /CREATE TABLE "events"\."order_outbox" \(/);
    assert.match(sql, /CONSTRAINT "order_outbox_pkey" PRIMARY KEY \("id"\)/);
    assert.match(sql, /CREATE INDEX "order_outbox_published_at_id_idx" ON "events"\."order_outbox"\("published_at", "id"\)/);
    assert.match(outboxPrismaModel({ table: 'order_outbox', model: 'OrderOutbox' }), /model OrderOutbox \{[\s\S]*@@map\("order_outbox"\)/);
  });
});

describe('relay metrics', () => {
  it('shows every series of its table before its first round (another instance may win every round)', async () => {
    const metrics = new Metrics('outbox-unit');
    // Constructed only, never started: no round runs, so nothing touches the store or the producer.
    new OutboxRelay({
      store: { table: 'orders_outbox' } as OutboxStore, producer: {} as RelayProducer, log: { info() {}, warn() {}, debug() {} },
      metrics: relayMetrics(metrics), batchSize: 10, pollMs: 1_000,
    });
    const text = await metrics.registry.metrics();
    assert.match(text, /^outbox_published_total\{[^}]*table="orders_outbox"[^}]*\} 0$/m);
    assert.match(text, /^outbox_publish_failures_total\{[^}]*table="orders_outbox"[^}]*\} 0$/m);
    assert.match(text, /^outbox_pending\{[^}]*table="orders_outbox"[^}]*\} 0$/m);
    assert.match(text, /^outbox_publish_delay_seconds_count\{[^}]*table="orders_outbox"[^}]*\} 0$/m);
  });
});

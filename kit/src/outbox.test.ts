// The documented outbox table is the one item-crud runs on: the generated DDL and Prisma model match
// the shop schema and its first migration (a drift here means new services would copy a different table).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { outboxPrismaModel, outboxTableSql } from './outbox.ts';

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

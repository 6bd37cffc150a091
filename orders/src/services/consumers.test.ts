import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeadLetter, Decoded } from '@shop/kit';
import type { KafkaMessage } from 'kafkajs';
import type { Incoming, OrderRepository, Outcome } from '../repositories/orders.ts';
import { store } from './consumers.ts';
import { OrderGenerator } from './generator.ts';
import { contentHash, type OrderDocument } from './validation.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const gen = new OrderGenerator({ count: 0, seed: 3 });
const entries = (n: number) => Array.from({ length: n }, (_, i) => {
  const doc = gen.order(1);
  const message = { offset: String(i), key: Buffer.from(doc.order_uid), value: Buffer.from(JSON.stringify(doc)) } as KafkaMessage;
  return { incoming: { doc, hash: contentHash(doc), partition: 0, offset: String(i) } satisfies Incoming, source: { value: doc, message, topic: 't', partition: 0 } satisfies Decoded<OrderDocument> };
});

/** A repository that refuses one document's data the way PostgreSQL does (SQLSTATE 22…), or fails like a dead server. */
function repo(refuse: string, code: string): OrderRepository {
  return {
    async storeBatch(batch: Incoming[]): Promise<Outcome[]> {
      if (batch.some((b) => b.doc.order_uid === refuse)) throw Object.assign(new Error('value too long for type character varying(40)'), { code });
      return batch.map(() => 'stored');
    },
  } as unknown as OrderRepository;
}

describe('storing a batch', () => {
  it('dead-letters a document PostgreSQL refuses as unstorable and stores the rest of the batch', async () => {
    const batch = entries(4);
    const bad = batch[2]!.incoming.doc.order_uid;
    const dead: DeadLetter[] = [];
    const outcomes = await store({ repo: repo(bad, '22001'), log: quiet }, batch.map((b) => b.incoming), batch.map((b) => b.source), dead);
    assert.deepEqual(outcomes, ['stored', 'stored', 'unstorable', 'stored']);
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.reason, 'unstorable');
    assert.equal(dead[0]!.message.offset, '2');
  });

  it('throws (the chunk is retried) when PostgreSQL fails for another reason', async () => {
    const batch = entries(2);
    await assert.rejects(store({ repo: repo(batch[0]!.incoming.doc.order_uid, '57P01'), log: quiet }, batch.map((b) => b.incoming), batch.map((b) => b.source), []));
    await assert.rejects(store({ repo: repo(batch[0]!.incoming.doc.order_uid, 'ECONNREFUSED'), log: quiet }, batch.map((b) => b.incoming), batch.map((b) => b.source), []));
  });
});

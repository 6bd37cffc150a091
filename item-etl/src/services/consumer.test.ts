// The consumer's lifecycle around KafkaJS events (a fake Kafka: a crash cannot be provoked on demand
// on the real one). The data path is covered against the real Kafka in item-etl/test/etl.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { ItemEventsConsumer, backoffMs } from './consumer.ts';

class FakeConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' };
  readonly handlers = new Map<string, ((e: { payload: unknown }) => void)[]>();
  disconnected = false;
  running = false;
  on(event: string, fn: (e: { payload: unknown }) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return () => undefined;
  }
  emit(event: string, payload: unknown = {}) {
    for (const fn of this.handlers.get(event) ?? []) fn({ payload });
  }
  async connect() {}
  async subscribe() {}
  async run() {
    this.running = true;
  }
  async disconnect() {
    this.disconnected = true;
  }
}

function setup() {
  const consumers: FakeConsumer[] = [];
  const kafka = {
    consumer: () => {
      const c = new FakeConsumer();
      consumers.push(c);
      return c;
    },
    producer: () => ({ connect: async () => undefined, disconnect: async () => undefined }),
  } as unknown as Kafka;
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
  const consumer = new ItemEventsConsumer(
    { topic: 't', dlqTopic: 't.dlq', groupId: 'g', bulkMaxDocs: 10, partitionConcurrency: 1 },
    { kafka, lifecycle: {} as never, documents: {} as never, metrics: {} as never, log: log as never },
  );
  return { consumer, consumers };
}

const waitUntil = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('ItemEventsConsumer lifecycle', () => {
  it('is ready once the group is joined', async () => {
    const { consumer, consumers } = setup();
    await consumer.start();
    assert.throws(() => consumer.check(), /starting/);
    consumers[0]!.emit('consumer.group_join');
    assert.doesNotThrow(() => consumer.check());
    await consumer.stop();
    assert.equal(consumer.state, 'stopped');
    assert.equal(consumers[0]!.disconnected, true);
  });

  it('restarts a consumer that crashed for good (restart: false), not ready meanwhile', async () => {
    const { consumer, consumers } = setup();
    await consumer.start();
    consumers[0]!.emit('consumer.group_join');
    consumers[0]!.emit('consumer.crash', { error: new Error('boom'), restart: false });
    assert.equal(consumer.state, 'crashed');
    assert.throws(() => consumer.check(), /crashed \(boom\)/);
    await waitUntil(() => consumers.length === 2 && consumers[1]!.running);
    assert.equal(consumers[0]!.disconnected, true);
    consumers[1]!.emit('consumer.group_join');
    assert.equal(consumer.state, 'running');
    // Events of the replaced consumer no longer matter.
    consumers[0]!.emit('consumer.crash', { error: new Error('late'), restart: false });
    assert.equal(consumer.state, 'running');
    await consumer.stop();
  });

  it('leaves a retriable crash to KafkaJS (restart: true) and is ready again at the next join', async () => {
    const { consumer, consumers } = setup();
    await consumer.start();
    consumers[0]!.emit('consumer.group_join');
    consumers[0]!.emit('consumer.crash', { error: new Error('broker gone'), restart: true });
    assert.equal(consumer.state, 'restarting');
    await new Promise((r) => setTimeout(r, 1_200));
    assert.equal(consumers.length, 1);
    consumers[0]!.emit('consumer.group_join');
    assert.equal(consumer.state, 'running');
    await consumer.stop();
    consumers[0]!.emit('consumer.crash', { error: new Error('after stop'), restart: false });
    assert.equal(consumer.state, 'stopped');
  });

  it('backs off from 100 ms doubling to a 10 s cap', () => {
    assert.deepEqual([0, 1, 2, 3, 6, 7, 20].map(backoffMs), [100, 200, 400, 800, 6_400, 10_000, 10_000]);
  });
});

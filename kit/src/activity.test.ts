import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { ActivityEmitter } from './activity.ts';
import { Metrics } from './metrics.ts';

const quiet = { warn() {}, error() {}, debug() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Kafka whose producer records sends, can fail them, and can be slow to connect. */
function fakeKafka(options: { fail?: () => boolean; sendDelayMs?: number } = {}) {
  const sent: { key: string; value: string }[][] = [];
  const kafka = {
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async ({ messages }: { messages: { key: string; value: string }[] }) => {
        if (options.sendDelayMs) await sleep(options.sendDelayMs);
        if (options.fail?.()) throw new Error('broker down');
        sent.push(messages);
        return [];
      },
    }),
  } as unknown as Kafka;
  return { kafka, sent };
}

const sample = async (m: Metrics, name: string, labels: Record<string, string> = {}) => {
  const found = await m.registry.getSingleMetric(name)?.get();
  return (found?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((s, v) => s + v.value, 0);
};
const view = () => ({ type: 'product_view' as const, anonymousId: 'anon-12345678', itemId: randomUUID() });

describe('activity emitter', () => {
  it('never throws and never waits: emit returns at once, the batch goes out in the background, keyed per shopper', async () => {
    const { kafka, sent } = fakeKafka({ sendDelayMs: 200 });
    const metrics = new Metrics('t');
    const e = new ActivityEmitter({ kafka, metrics, log: quiet, flushMs: 10 });
    e.start();
    e.emit(view()); // warm-up (first validation)
    const t0 = performance.now();
    for (let i = 0; i < 49; i++) e.emit(view());
    e.emit({ type: 'search', anonymousId: 'anon-12345678', userId: randomUUID(), queryId: randomUUID(), query: 'kettle', results: 3 });
    assert.ok(performance.now() - t0 < 50, 'emitting 51 events took no time');
    await sleep(400);
    await e.stop();
    const all = sent.flat();
    assert.equal(all.length, 51);
    const search = JSON.parse(all.at(-1)!.value);
    assert.equal(all.at(-1)!.key, search.userId, 'key = user id, else anonymous id');
    assert.equal(all[0]!.key, 'anon-12345678');
    assert.match(search.eventId, /^[0-9a-f-]{36}$/);
    assert.equal(await sample(metrics, 'activity_events_emitted_total'), 51);
  });

  it('drops and counts: invalid events, a full buffer, no Kafka', async () => {
    const metrics = new Metrics('t');
    const { kafka } = fakeKafka({ fail: () => true });
    const e = new ActivityEmitter({ kafka, metrics, log: quiet, maxBuffer: 5, flushMs: 10_000 });
    e.emit({ type: 'product_view', anonymousId: 'anon-12345678' }); // no itemId
    for (let i = 0; i < 8; i++) e.emit(view());
    assert.equal(e.buffered, 5);
    assert.equal(await sample(metrics, 'activity_events_dropped_total', { reason: 'invalid' }), 1);
    assert.equal(await sample(metrics, 'activity_events_dropped_total', { reason: 'buffer-full' }), 3);
    const off = new ActivityEmitter({ metrics, log: quiet });
    assert.doesNotThrow(() => off.emit(view()));
    assert.equal(await sample(metrics, 'activity_events_dropped_total', { reason: 'disabled' }), 1);
    await e.stop();
    assert.equal(await sample(metrics, 'activity_events_dropped_total', { reason: 'shutdown' }), 5);
  });

  it('keeps a failed batch for the next round (Kafka down, then up): nothing lost within the bound', async () => {
    let down = true;
    const { kafka, sent } = fakeKafka({ fail: () => down });
    const metrics = new Metrics('t');
    const e = new ActivityEmitter({ kafka, metrics, log: quiet, flushMs: 20 });
    e.start();
    for (let i = 0; i < 20; i++) e.emit(view());
    await sleep(150);
    assert.equal(sent.flat().length, 0);
    assert.ok(await sample(metrics, 'activity_emit_failures_total') >= 1);
    down = false;
    await sleep(150);
    assert.equal(sent.flat().length, 20);
    await e.stop();
    assert.equal(await sample(metrics, 'activity_events_dropped_total'), 0);
  });
});

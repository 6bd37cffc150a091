// The kit's consumer runner against the real Kafka and PostgreSQL, on topics, a table and groups of
// its own: refused messages reach the dead-letter topic with their bytes and a reason; offsets are
// committed only after the handler's effect (a row in PostgreSQL) exists; a failing handler is
// retried while the group stays stable, and a stop mid-retry leaves the chunk for the next owner;
// lag and readiness.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJson, type Validation } from '@shop/contracts/codec';
import { Partitioners, type Admin, type IHeaders, type Producer } from 'kafkajs';
import type pg from 'pg';
import { ConsumerRunner, consumerMetrics, type ConsumerRunnerOptions, type Decoded } from '../src/consumer.ts';
import { Metrics } from '../src/metrics.ts';
import { committedTotal, createTopics, highTotal, kafka, pool, quietLog, readTopic, sample, sleep, uniqueSuffix, waitFor } from './helpers.ts';

/** The test's contract: `{ key: uuid, n: integer ≥ 0 }`. */
interface Event { key: string; n: number }
const validate = (value: unknown): Validation<Event> => {
  const v = value as Partial<Event> | null;
  return typeof v === 'object' && v !== null && typeof v.key === 'string' && Number.isInteger(v.n) && v.n! >= 0
    ? { ok: true, value: v as Event }
    : { ok: false, errors: ['/n must be an integer ≥ 0'] };
};
const decode = (bytes: Buffer | null) => decodeJson(bytes, validate);

const suffix = uniqueSuffix('kit-consumer').replaceAll('_', '-');
const topic = `test-${suffix}`;
const dlqTopic = `${topic}.dlq`;
const effects = `test_${suffix.replaceAll('-', '_')}_effects`;
const groups: string[] = [];
let admin: Admin;
let producer: Producer;
let db: pg.Pool;

before(async () => {
  admin = kafka().admin();
  await admin.connect();
  await createTopics(admin, [topic, dlqTopic]);
  producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  db = pool();
  await db.query(`CREATE TABLE "${effects}" (key text NOT NULL, n integer NOT NULL, PRIMARY KEY (key, n))`);
});
after(async () => {
  await producer.disconnect();
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
  await admin.disconnect();
  await db.query(`DROP TABLE IF EXISTS "${effects}"`).catch(() => undefined);
  await db.end();
});

const event = (key: string, n: number) => Buffer.from(JSON.stringify({ key, n }));

/** Sends one message per call (so offsets are known) and answers its partition and offset. */
async function send(key: string, value: Buffer | null, headers: IHeaders = {}): Promise<{ partition: number; offset: string }> {
  const [res] = await producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
  return { partition: res!.partition, offset: res!.baseOffset! };
}

/** The handler's effect: one row per event, idempotent (a redelivery changes nothing). */
const record = async (events: Decoded<Event>[]) => {
  for (const e of events) await db.query(`INSERT INTO "${effects}" (key, n) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [e.value.key, e.value.n]);
};
const recorded = async (key: string) => (await db.query<{ n: number }>(`SELECT n FROM "${effects}" WHERE key = $1 ORDER BY n`, [key])).rows.map((r) => r.n);

function runner(overrides: Partial<ConsumerRunnerOptions<Event>> & Pick<ConsumerRunnerOptions<Event>, 'groupId'>) {
  groups.push(overrides.groupId);
  const options = {
    name: 'test consumer', kafka: kafka(), topics: [topic], decode, log: quietLog,
    group: { sessionTimeout: 6_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 }, ...overrides,
  } as ConsumerRunnerOptions<Event>;
  return new ConsumerRunner<Event>(options);
}

/** Runs `fn` with the consumer started, and stops it whatever happens. */
async function whileRunning(consumer: ConsumerRunner<Event>, fn: () => Promise<void>): Promise<void> {
  await consumer.start();
  try {
    await fn();
  } finally {
    await consumer.stop();
  }
}

const committedToTheEnd = (groupId: string) =>
  waitFor('offsets committed to the end', async () => (await committedTotal(admin, groupId, topic)) === (await highTotal(admin, topic)));

describe('ConsumerRunner', () => {
  it('sends undecodable and handler-refused messages to the dead-letter topic with the original bytes, a reason and their origin, and keeps going', async () => {
    const key = randomUUID();
    const metrics = new Metrics('kit-test');
    const groupId = `kit-test-dlq-${suffix}`;
    const headers = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'content-type': 'application/json' };
    const poison: [Buffer | null, RegExp][] = [
      [Buffer.from('{not json'), /^invalid-json: /],
      [Buffer.from(JSON.stringify({ key, n: -1 })), /^schema: \/n must be/],
      [null, /^empty: /],
      [event(key, 13), /^unlucky: 13 is refused by the handler$/],
    ];
    const positions: { partition: number; offset: string }[] = [];
    for (const [value] of poison) positions.push(await send(key, value, headers));
    await send(key, event(key, 1));

    const consumer = runner({
      groupId, dlqTopic, metrics: consumerMetrics(metrics, 'kit_test_dlq'),
      handleMessage: async (e) => {
        if (e.value.n === 13) return { reason: 'unlucky', detail: '13 is refused by the handler' };
        await record([e]);
      },
    });
    await whileRunning(consumer, async () => {
      await waitFor('the valid event handled', async () => (await recorded(key)).includes(1));
      const dead = (await readTopic(admin, dlqTopic, (r) => r.filter((d) => d.message.key?.toString() === key).length >= 4))
        .filter((d) => d.message.key?.toString() === key);
      assert.equal(dead.length, 4);
      poison.forEach(([value, reason], i) => {
        const d = dead.find((m) => m.header('x-original-offset') === positions[i]!.offset);
        assert.ok(d, `dead letter of offset ${positions[i]!.offset}`);
        assert.deepEqual(d.message.value, value ?? null);
        assert.match(d.header('x-dlq-reason') ?? '', reason);
        assert.equal(d.header('x-original-topic'), topic);
        assert.equal(d.header('x-original-partition'), String(positions[i]!.partition));
        assert.equal(d.header('traceparent'), headers.traceparent);
      });
      assert.deepEqual(await recorded(key), [1], 'refused messages have no effect');
      await committedToTheEnd(groupId);
      for (const reason of ['invalid-json', 'schema', 'empty', 'unlucky']) {
        assert.equal(await sample(metrics, 'kit_test_dlq_dlq_total', { reason, group: groupId }), 1, reason);
      }
    });
    assert.equal(consumer.state, 'stopped');
  });

  it('skips refused messages (also those its decoder throws on) when there is no dead-letter topic, and counts them', async () => {
    const key = randomUUID();
    const metrics = new Metrics('kit-test');
    const groupId = `kit-test-skip-${suffix}`;
    await send(key, Buffer.from('nope'));
    await send(key, Buffer.from('a decoder bug'));
    await send(key, event(key, 2));
    const buggy = (value: Buffer | null) => {
      if (value?.toString() === 'a decoder bug') throw new Error('the decoder fell over');
      return decode(value);
    };
    const consumer = runner({ groupId, decode: buggy, metrics: consumerMetrics(metrics, 'kit_test_skip'), handleBatch: (events) => record(events) });
    await whileRunning(consumer, async () => {
      await waitFor('the valid event handled', async () => (await recorded(key)).includes(2));
      await committedToTheEnd(groupId);
      assert.ok((await sample(metrics, 'kit_test_skip_skipped_total', { topic, reason: 'invalid-json' })) >= 1);
      assert.ok((await sample(metrics, 'kit_test_skip_skipped_total', { topic, reason: 'decode-error' })) >= 1, 'a throwing decoder refuses, it does not crash');
    });
  });

  it('commits only after the effect: a failing handler is retried in the group, nothing is committed meanwhile; stopped mid-retry, the next member handles the chunk', async () => {
    const key = randomUUID();
    const groupId = `kit-test-commit-${suffix}`;
    const metrics = new Metrics('kit-test');
    // The group commits a marker first: it starts after the earlier tests' messages, and the key's
    // partition has a committed offset for the next member to resume from.
    const start = runner({ groupId, fromBeginning: false, handleBatch: (events) => record(events) });
    await start.start();
    await waitFor('the first member to fetch', () => start.ready, 30_000);
    await send(key, event(key, 0));
    await waitFor('the marker committed', async () => (await committedTotal(admin, groupId, topic)) > 0, 30_000);
    await start.stop();

    let failing = true;
    const chunks: number[][] = [];
    const flaky = (events: Decoded<Event>[]) => {
      chunks.push(events.map((e) => e.value.n));
      if (failing) return Promise.reject(new Error('the effect store is unavailable'));
      return record(events);
    };
    const first = runner({
      groupId, fromBeginning: false, maxBatchSize: 2, metrics: consumerMetrics(metrics, 'kit_test_commit'), backoffMs: () => 300, handleBatch: flaky,
    });
    await first.start();
    const committedBefore = await committedTotal(admin, groupId, topic);
    await producer.send({ topic, acks: -1, messages: [10, 11, 12].map((n) => ({ key, value: event(key, n) })) });
    await waitFor('retries', async () => (await sample(metrics, 'kit_test_commit_retries_total')) >= 3, 30_000);
    // Longer than the session timeout: only heartbeats during the retries keep the member in the group.
    await sleep(8_000);
    const [description] = (await admin.describeGroups([groupId])).groups;
    assert.equal(description?.state, 'Stable');
    assert.equal(description?.members.length, 1);
    assert.equal(first.state, 'running');
    assert.doesNotThrow(() => first.check());
    assert.equal(await committedTotal(admin, groupId, topic), committedBefore, 'nothing committed while the effect is missing');
    assert.deepEqual(await recorded(key), [0]);
    assert.ok(chunks.length >= 3 && chunks.every((c) => c.join() === '10,11'), `the first chunk (maxBatchSize 2) again and again, nothing past it: ${JSON.stringify(chunks)}`);

    await first.stop(); // mid-retry: gives up without committing
    assert.equal(await committedTotal(admin, groupId, topic), committedBefore);

    failing = false;
    const second = runner({ groupId, fromBeginning: false, maxBatchSize: 2, handleBatch: flaky });
    await whileRunning(second, async () => {
      await waitFor('every effect recorded', async () => (await recorded(key)).length === 4, 30_000);
      assert.deepEqual(await recorded(key), [0, 10, 11, 12]);
      await waitFor('offsets committed after the effects', async () => (await committedTotal(admin, groupId, topic)) === committedBefore + 3);
    });
  });

  it('measures the lag of its group and publishes it', async () => {
    const key = randomUUID();
    const groupId = `kit-test-lag-${suffix}`;
    const metrics = new Metrics('kit-test');
    const consumer = runner({ groupId, fromBeginning: true, metrics: consumerMetrics(metrics, 'kit_test_lag'), lagIntervalMs: 200, handleBatch: (events) => record(events) });
    // Not started: the group has committed nothing, so the lag is the whole topic.
    const before = await consumer.measureLag();
    const total = [...before.get(topic)!.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, await highTotal(admin, topic));
    await send(key, event(key, 3));
    await whileRunning(consumer, async () => {
      await waitFor('the event handled', async () => (await recorded(key)).includes(3));
      await waitFor('no lag left', async () => [...(await consumer.measureLag()).get(topic)!.values()].every((lag) => lag === 0));
      await waitFor('the lag gauge at 0 for every partition', async () => {
        const gauge = await metrics.registry.getSingleMetric('kit_test_lag_consumer_lag')?.get();
        return gauge?.values.length === 3 && gauge.values.every((v) => v.value === 0 && v.labels.group === groupId);
      });
      assert.equal(await sample(metrics, 'kit_test_lag_consumer_up', { group: groupId }), 1);
    });
    assert.equal(await sample(metrics, 'kit_test_lag_consumer_up', { group: groupId }), 0);
  });

  it('takes exactly one of handleMessage and handleBatch', () => {
    assert.throws(() => runner({ groupId: `kit-test-none-${suffix}` }), /exactly one of handleMessage and handleBatch/);
  });
});

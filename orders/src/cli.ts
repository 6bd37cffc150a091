// Operator commands of the orders service (KAFKA_BROKERS, ORDERS_TOPIC and ORDERS_DLQ_TOPIC from the
// environment, loopback defaults):
//   node orders/src/cli.ts generate --count N [--rate R] [--invalid 0.05] [--duplicates 0.02] [--conflicts 0.01]
//       [--seed S] [--customer ID] [--prefix P] [--out FILE]
//     publishes realistic orders (plus the shares of invalid, duplicate and conflicting ones) to `orders`,
//     R per second (default: as fast as Kafka takes them); prints what it sent (--out: every message's uid and kind)
//   node orders/src/cli.ts dlq list [--reason R] [--limit N]     the dead letters (reason, source, the document)
//   node orders/src/cli.ts dlq replay [--reason R]                re-publishes them to `orders` (after a fix)
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Type, UsageError, kafkaConfig, loadConfig, printJson, runCli } from '@shop/kit';
import { Kafka, Partitioners, logLevel, type IHeaders, type KafkaMessage, type Message } from 'kafkajs';
import { OrderGenerator, summarize } from './services/generator.ts';

const USAGE = `usage: node orders/src/cli.ts generate --count N [--rate R] [--invalid 0.05] [--duplicates 0.02] [--conflicts 0.01] [--seed S] [--customer ID] [--prefix P] [--out FILE]
       node orders/src/cli.ts dlq list [--reason R] [--limit N]
       node orders/src/cli.ts dlq replay [--reason R]`;

const CliConfig = Type.Object({
  KAFKA_BROKERS: Type.String({ ...kafkaConfig.KAFKA_BROKERS, default: '127.0.0.1:9092' }),
  ORDERS_TOPIC: Type.String({ default: 'orders', pattern: '^[\\w.-]{1,200}$' }),
  ORDERS_DLQ_TOPIC: Type.String({ default: 'orders.dlq', pattern: '^[\\w.-]{1,200}$' }),
});

const number = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number in ${min}..${max}`);
  return n;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DeadLetter {
  partition: number;
  offset: string;
  key: string | null;
  reason: string;
  detail: string;
  source: { topic?: string; partition?: number; offset?: string };
  value: string | null;
  message: KafkaMessage;
}

/** Every message of `topic` up to the high watermarks of now, with a throwaway consumer group. */
export async function readAll(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<{ partition: number; message: KafkaMessage }[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `orders-cli-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  const out: { partition: number; message: KafkaMessage }[] = [];
  try {
    const pending = new Map((await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]));
    if (pending.size === 0) return out;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const last = pending.get(partition);
        if (last === undefined) return;
        if (BigInt(message.offset) <= last) out.push({ partition, message });
        if (BigInt(message.offset) >= last) {
          pending.delete(partition);
          if (pending.size === 0) done();
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${topic} not read to its end in ${timeoutMs} ms`)), timeoutMs);
    })]).finally(() => clearTimeout(timer));
    return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();

/** The dead letters of `dlqTopic`, optionally only those of one reason (the label before the colon). */
export async function deadLetters(kafka: Kafka, dlqTopic: string, reason?: string): Promise<DeadLetter[]> {
  const all = (await readAll(kafka, dlqTopic)).map(({ partition, message }): DeadLetter => {
    const full = header(message, 'x-dlq-reason') ?? 'unknown';
    const cut = full.indexOf(': ');
    const partitionHeader = header(message, 'x-original-partition');
    return {
      partition, offset: message.offset, key: message.key?.toString() ?? null,
      reason: cut < 0 ? full : full.slice(0, cut), detail: cut < 0 ? '' : full.slice(cut + 2),
      source: { topic: header(message, 'x-original-topic'), partition: partitionHeader === undefined ? undefined : Number(partitionHeader), offset: header(message, 'x-original-offset') },
      value: message.value?.toString() ?? null, message,
    };
  });
  return reason ? all.filter((d) => d.reason === reason) : all;
}

const byReason = (letters: { reason: string }[]) => letters.reduce<Record<string, number>>((acc, d) => ({ ...acc, [d.reason]: (acc[d.reason] ?? 0) + 1 }), {});

async function main(): Promise<number> {
  const [command, sub, ...rest] = process.argv.slice(2);
  const cfg = loadConfig('orders cli', CliConfig);
  const kafka = new Kafka({ clientId: 'orders-cli', brokers: cfg.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });

  if (command === 'generate') {
    const { values } = parseArgs({
      args: [sub, ...rest].filter((a): a is string => a !== undefined), strict: true,
      options: {
        count: { type: 'string' }, rate: { type: 'string' }, invalid: { type: 'string' }, duplicates: { type: 'string' }, conflicts: { type: 'string' },
        seed: { type: 'string' }, customer: { type: 'string' }, prefix: { type: 'string' }, out: { type: 'string' },
      },
    });
    if (values.count === undefined) throw new UsageError('--count is required');
    const options = {
      count: number('count', values.count, 0, 1, 10_000_000), invalid: number('invalid', values.invalid, 0, 0, 1),
      duplicates: number('duplicates', values.duplicates, 0, 0, 1), conflicts: number('conflicts', values.conflicts, 0, 0, 1),
      seed: number('seed', values.seed, Date.now() % 2 ** 31, 0, 2 ** 32), customerId: values.customer, uidPrefix: values.prefix,
    };
    if (options.invalid + options.duplicates + options.conflicts > 1) throw new UsageError('--invalid + --duplicates + --conflicts must be at most 1');
    const rate = values.rate === undefined ? undefined : number('rate', values.rate, 0, 0.1, 1_000_000);
    const messages = new OrderGenerator(options).messages();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const started = performance.now();
    try {
      const chunk = rate === undefined ? 500 : Math.max(1, Math.round(rate / 10));
      for (let i = 0; i < messages.length; i += chunk) {
        const slice = messages.slice(i, i + chunk);
        await producer.send({ topic: cfg.ORDERS_TOPIC, acks: -1, messages: slice.map((m): Message => ({ key: m.key, value: m.value, headers: { 'content-type': 'application/json' } })) });
        if (rate !== undefined) {
          const due = started + ((i + slice.length) / rate) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
        }
      }
    } finally {
      await producer.disconnect();
    }
    const ms = performance.now() - started;
    if (values.out) writeFileSync(values.out, JSON.stringify(messages.map((m) => ({ uid: m.uid, kind: m.kind, ...(m.invalid ? { invalid: m.invalid } : {}) }))));
    printJson({
      ok: true, topic: cfg.ORDERS_TOPIC, seed: options.seed, ...summarize(messages), durationMs: Math.round(ms), perSecond: Math.round((messages.length / ms) * 1000),
      sampleUids: messages.filter((m) => m.kind === 'valid').slice(0, 5).map((m) => m.uid), ...(values.out ? { out: values.out } : {}),
    });
    return 0;
  }

  if (command === 'dlq' && (sub === 'list' || sub === 'replay')) {
    const { values } = parseArgs({ args: rest, strict: true, options: { reason: { type: 'string' }, limit: { type: 'string' } } });
    const letters = await deadLetters(kafka, cfg.ORDERS_DLQ_TOPIC, values.reason);
    if (sub === 'list') {
      const limit = number('limit', values.limit, 100, 1, 1_000_000);
      printJson({
        ok: true, topic: cfg.ORDERS_DLQ_TOPIC, total: letters.length, byReason: byReason(letters),
        items: letters.slice(-limit).map(({ message: _message, ...d }) => ({ ...d, value: d.value && d.value.length > 2000 ? `${d.value.slice(0, 2000)}…` : d.value })),
      });
      return 0;
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      for (let i = 0; i < letters.length; i += 500) {
        await producer.send({
          topic: cfg.ORDERS_TOPIC, acks: -1,
          messages: letters.slice(i, i + 500).map((d): Message => {
            const headers: IHeaders = {};
            for (const [name, value] of Object.entries(d.message.headers ?? {})) if (!name.startsWith('x-dlq-') && !name.startsWith('x-original-') && value !== undefined) headers[name] = value;
            headers['x-replayed-from'] = `${cfg.ORDERS_DLQ_TOPIC}/${d.partition}/${d.offset}`;
            return { key: d.message.key, value: d.message.value, headers };
          }),
        });
      }
    } finally {
      await producer.disconnect();
    }
    printJson({ ok: true, replayed: letters.length, byReason: byReason(letters), to: cfg.ORDERS_TOPIC });
    return 0;
  }
  throw new UsageError(command ? `unknown command '${[command, sub].filter(Boolean).join(' ')}'` : 'no command given');
}

if (import.meta.main) await runCli(main, USAGE);

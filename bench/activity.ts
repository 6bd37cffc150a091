// Activity collection: events/s the collector accepts through the proxy (POST /api/activity, batches of --batch
// search_click events from --clients signed-in shoppers for --seconds), the end-to-end delay from a POST to the
// event being counted in the aggregates (probe events sent one at a time during the load, polled in PostgreSQL),
// then the same load at analytics itself (what the proxy costs), and, in the same run, Kafka's raw produce rate (the same event bytes, same batches and concurrency, acks=all)
// into a throwaway topic. Needs ./make.sh up.
// Usage: node bench/activity.ts [--clients 16] [--batch 50] [--seconds 15] [--probes 40]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import pg from 'pg';
import { api } from '../scripts/api.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '16' }, batch: { type: 'string', default: '50' }, seconds: { type: 'string', default: '15' }, probes: { type: 'string', default: '40' },
    proxy: { type: 'string', default: 'http://127.0.0.1:8080' }, analytics: { type: 'string', default: 'http://127.0.0.1:8090' }, brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    database: { type: 'string', default: process.env.DATABASE_URL_ANALYTICS ?? 'postgresql://shop:shop@127.0.0.1:5432/analytics' },
  },
});
const CLIENTS = Number(values.clients);
const BATCH = Number(values.batch);
const SECONDS = Number(values.seconds);
const PROBES = Number(values.probes);
const PROXY = values.proxy!;
const run = randomUUID().slice(0, 8);

const click = (n: number) => ({ type: 'search_click', eventId: randomUUID(), queryId: randomUUID(), itemId: randomUUID(), position: 1 + (n % 10) });

// Signed-in shoppers: the proxy's rate limit is per user (per address for anonymous callers).
const password = 'activity bench password';
// One after the other: the sso hashes each password (scrypt), many at once time out its transactions.
const tokens: string[] = [];
for (let i = 0; i < CLIENTS; i++) tokens.push(await (async () => {
  const email = `activity-${run}-${i}@bench.example`;
  // The proxy limits anonymous callers per address: wait out a 429.
  const call = async (path: string, body: unknown) => {
    for (;;) {
      const res = await api(PROXY, path, { method: 'POST', body });
      if (res.status !== 429) return res;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  };
  const reg = await call('/api/auth/register', { email, password, name: `Activity Bench ${i}`, role: 'customer' });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call('/api/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  return login.body.accessToken as string;
})());

// ------------------------------------------------------------------ the collector through the proxy
const db = new pg.Pool({ connectionString: values.database, max: 4 });
let accepted = 0;
let rejected = 0;
let failed = 0;
let posts = 0;
const deadline = Date.now() + SECONDS * 1_000;
const started = performance.now();
const loaders = tokens.map(async (token, i) => {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-anonymous-id': `bench-${run}-${i}` };
  let n = 0;
  while (Date.now() < deadline) {
    const body = JSON.stringify({ events: Array.from({ length: BATCH }, () => click(n++)) });
    const res = await fetch(`${PROXY}/api/activity`, { method: 'POST', headers, body });
    const answer = (await res.json()) as { accepted?: number; rejected?: unknown[] };
    posts++;
    if (res.status === 202) {
      accepted += answer.accepted ?? 0;
      rejected += answer.rejected?.length ?? 0;
    } else failed++;
  }
});
// Probes: one event per POST, polled until it is counted (in `events`, the same transaction as the aggregates).
async function probe(count: number, gapMs: number, until: number): Promise<number[]> {
  const headers = { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/json', 'x-anonymous-id': `bench-${run}-probe` };
  const out: number[] = [];
  for (let i = 0; i < count && Date.now() < until; i++) {
    await new Promise((r) => setTimeout(r, gapMs));
    const event = click(i);
    const sent = performance.now();
    const res = await fetch(`${PROXY}/api/activity`, { method: 'POST', headers, body: JSON.stringify({ events: [event] }) });
    await res.arrayBuffer();
    for (;;) {
      const { rowCount } = await db.query('SELECT 1 FROM events WHERE event_id = $1', [event.eventId]);
      if (rowCount) break;
      if (performance.now() - sent > 60_000) throw new Error('a probe was not counted within 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    out.push(performance.now() - sent);
  }
  return out;
}
const loadedProbes = probe(PROBES, (SECONDS * 1_000) / (PROBES + 1) / 2, deadline);
const loadEnded = await Promise.all(loaders).then(() => performance.now());
const delays = await loadedProbes;
const collectorSeconds = (loadEnded - started) / 1_000;
// Everything accepted is counted eventually: how long the tail took after the load (and the probes) stopped.
const tailStarted = performance.now();
const ids = await db.query(`SELECT count(*)::int AS n FROM events WHERE anonymous_id LIKE $1`, [`bench-${run}-%`]);
let counted = ids.rows[0].n as number;
while (counted < accepted + delays.length && performance.now() - tailStarted < 120_000) {
  await new Promise((r) => setTimeout(r, 100));
  counted = (await db.query(`SELECT count(*)::int AS n FROM events WHERE anonymous_id LIKE $1`, [`bench-${run}-%`])).rows[0].n as number;
}
const drainMs = performance.now() - tailStarted;
const idle = (await probe(PROBES, 100, Date.now() + 120_000)).sort((x, y) => x - y);
await db.end();

// ------------------------------------------------------------------ the collector itself (no proxy), same load
let directAccepted = 0;
const directDeadline = Date.now() + SECONDS * 1_000;
const directStarted = performance.now();
await Promise.all(tokens.map(async (token, i) => {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-anonymous-id': `bench-${run}-${i}` };
  let n = 0;
  while (Date.now() < directDeadline) {
    const res = await fetch(`${values.analytics}/api/activity`, { method: 'POST', headers, body: JSON.stringify({ events: Array.from({ length: BATCH }, () => click(n++)) }) });
    const answer = (await res.json()) as { accepted?: number };
    if (res.status === 202) directAccepted += answer.accepted ?? 0;
  }
}));
const directSeconds = (performance.now() - directStarted) / 1_000;

// ------------------------------------------------------------------ Kafka's raw produce rate, same run
const kafka = new Kafka({ clientId: 'activity-bench', brokers: values.brokers!.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const topic = `bench-activity-${run}`;
await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
let produced = 0;
const kafkaDeadline = Date.now() + SECONDS * 1_000;
const kafkaStarted = performance.now();
await Promise.all(tokens.map(async (_, i) => {
  let n = 0;
  while (Date.now() < kafkaDeadline) {
    const messages = Array.from({ length: BATCH }, () => {
      const e = { ...click(n++), occurredAt: new Date().toISOString(), anonymousId: `bench-${run}-${i}` };
      return { key: e.anonymousId, value: JSON.stringify(e), headers: { 'content-type': 'application/json' } };
    });
    await producer.send({ topic, acks: -1, messages });
    produced += messages.length;
  }
}));
const kafkaSeconds = (performance.now() - kafkaStarted) / 1_000;
await producer.disconnect();
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.disconnect();

delays.sort((a, b) => a - b);
const pct = (p: number) => Math.round(delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))] ?? NaN);
console.log(JSON.stringify({
  benchmark: 'activity-collection',
  clients: CLIENTS, batch: BATCH, seconds: SECONDS,
  collector: {
    via: `${PROXY}/api/activity`, posts, acceptedEvents: accepted, rejectedEvents: rejected, failedPosts: failed,
    acceptedPerSecond: Math.round(accepted / collectorSeconds), postsPerSecond: Math.round(posts / collectorSeconds),
  },
  collectorDirect: { via: `${values.analytics}/api/activity`, acceptedEvents: directAccepted, acceptedPerSecond: Math.round(directAccepted / directSeconds) },
  endToEnd: { probes: delays.length, p50Ms: pct(50), p95Ms: pct(95), maxMs: Math.round(delays.at(-1) ?? NaN), what: 'POST answered through the proxy → the event counted in the aggregates (outbox → user-activity → consumer)' },
  endToEndIdle: { probes: idle.length, p50Ms: Math.round(idle[Math.floor(idle.length / 2)] ?? NaN), p95Ms: Math.round(idle[Math.min(idle.length - 1, Math.floor(0.95 * idle.length))] ?? NaN), what: 'the same with no other load' },
  drain: { countedEvents: counted, msAfterLoadUntilAllCounted: Math.round(drainMs) },
  kafkaRawProduce: { topic: 'a throwaway topic, 3 partitions, acks=all', events: produced, perSecond: Math.round(produced / kafkaSeconds) },
}, null, 2));

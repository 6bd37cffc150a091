// kill -9 at any moment loses nothing: the service runs as a child process, items are created and
// changed over HTTP while it is SIGKILLed mid-stream; after a restart every committed version is in
// the outbox, published, and on the topic.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { ITEM_EVENTS_TOPIC, decodeItemEvent } from '@shop/contracts';
import { freePort } from '../../test/support.ts';
import { eventually, itemBody, newUser, outboxRows, pool, tapTopic, testEnv, type ItemJson, type Tap, type User } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let db: pg.Pool;
let tap: Tap;
let seller: User;
let port: number;
let child: ChildProcess | undefined;

function startChild(): ChildProcess {
  const proc = spawn(process.execPath, [MAIN], { env: testEnv({ PORT: String(port), LOG_LEVEL: 'error' }), stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.on('data', () => undefined);
  return proc;
}

async function waitReady(): Promise<void> {
  await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
    return res?.ok ? true : undefined;
  }, 20_000, 'the child to listen');
}

async function kill(proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill(signal);
  await exited;
}

before(async () => {
  db = pool();
  port = await freePort();
  [seller, tap] = await Promise.all([newUser('seller', 'kill'), tapTopic(ITEM_EVENTS_TOPIC)]);
});
after(async () => {
  await kill(child, 'SIGKILL');
  await tap.close();
  await db.end();
});

const api = (path: string, init: { method?: string; body?: unknown; ifMatch?: string } = {}) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${seller.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.ifMatch ? { 'if-match': init.ifMatch } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });

describe('kill -9', () => {
  it('every committed version ends up published after a SIGKILL mid-stream and a restart', { timeout: 90_000 }, async () => {
    child = startChild();
    await waitReady();

    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await api('/api/items', { method: 'POST', body: itemBody() });
      const text = await res.text();
      assert.equal(res.status, 201, text);
      ids.push((JSON.parse(text) as ItemJson).id);
    }
    // Each item is changed again and again (each PATCH names the version it read) while the process is killed.
    let killed = false;
    let patched = 0;
    const writers = ids.map(async (id) => {
      let version = 1;
      while (!killed) {
        try {
          const res = await api(`/api/items/${id}`, { method: 'PATCH', body: { stock: version }, ifMatch: `"${version}"` });
          if (res.status !== 200) throw new Error(`PATCH ${res.status} ${await res.text()}`);
          version = (await res.json() as ItemJson).version;
          patched++;
        } catch (err) {
          if (killed) return;
          throw err;
        }
      }
    });
    // Killed once the writers have made progress (a count, not a fixed delay: a slow machine once managed only one
    // change per item in 400 ms), while they are still writing.
    await eventually(async () => (patched >= ids.length * 3 ? true : undefined), 30_000, 'three changes per item before the kill');
    killed = true;
    await kill(child, 'SIGKILL');
    await Promise.all(writers);

    child = startChild();
    await waitReady();

    // In the database: every item version 1..current has exactly one outbox row; all end up published.
    const rows = await eventually(async () => {
      const all = await outboxRows(db, ids);
      return all.every((r) => r.published_at !== null) ? all : undefined;
    }, 20_000, 'every outbox row of these items to be published');
    const { rows: items } = await db.query<{ id: string; version: number }>('SELECT id, version FROM items WHERE id = ANY($1)', [ids]);
    assert.equal(items.length, ids.length);
    let total = 0;
    for (const item of items) {
      const versions = rows.filter((r) => r.key === item.id).map((r) => r.payload.version);
      assert.deepEqual(versions, Array.from({ length: item.version }, (_, i) => i + 1), `outbox of ${item.id}`);
      total += item.version;
    }
    assert.ok(total > ids.length * 2, `the writers made progress before the kill (${total} versions)`);

    // On the topic: every (item, version), in order per item (re-sends may repeat some).
    const seen = await eventually(() => {
      const have = new Map<string, number[]>();
      for (const m of tap.forKeys(ids)) {
        const decoded = decodeItemEvent(m.value);
        assert.ok(decoded.ok, JSON.stringify(decoded));
        have.set(m.key, [...(have.get(m.key) ?? []), decoded.value.version]);
      }
      return items.every((i) => new Set(have.get(i.id)).size === i.version) ? have : undefined;
    }, 20_000, 'every version on the topic');
    for (const item of items) {
      const versions = seen.get(item.id)!;
      const firsts = versions.filter((v, i) => versions.indexOf(v) === i);
      assert.deepEqual(firsts, Array.from({ length: item.version }, (_, i) => i + 1), `first delivery order of ${item.id}`);
    }
    await kill(child, 'SIGTERM');
  });
});

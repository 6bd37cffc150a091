import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { RateLimiter } from './rate-limit.ts';

/** The lease script's semantics (INCRBY, a TTL set on the window's first reservation) on a fake clock. */
class FakeRedis {
  readonly keys = new Map<string, { value: number; expiresAt: number }>();
  calls = 0;
  down = false;
  readonly clock: { now: number };
  constructor(clock: { now: number }) {
    this.clock = clock;
  }
  defineCommand(name: string): void {
    (this as unknown as Record<string, unknown>)[name] = async (key: string, count: number, windowMs: number) => {
      this.calls++;
      await Promise.resolve();
      if (this.down) throw new Error('connection refused');
      let entry = this.keys.get(key);
      if (!entry || entry.expiresAt <= this.clock.now) this.keys.set(key, (entry = { value: 0, expiresAt: this.clock.now + windowMs }));
      entry.value += count;
      return [entry.value, entry.expiresAt - this.clock.now];
    };
  }
}

function limiter(redis: FakeRedis, clock: { now: number }, options: { max: number; lease?: number; windowMs?: number }) {
  return new RateLimiter({ redis: redis as unknown as Redis, windowMs: 60_000, now: () => clock.now, ...options });
}

async function admitted(l: RateLimiter, key: string, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) if (await l.take(key)) ok++;
  return ok;
}

describe('rate limiter (leases from Redis)', () => {
  it('lets exactly max through per window with one instance, then again in the next window', async () => {
    const clock = { now: 1_000_000 };
    const redis = new FakeRedis(clock);
    const l = limiter(redis, clock, { max: 600 });
    assert.equal(l.lease, 30);
    assert.equal(await admitted(l, 'ip:a', 700), 600);
    assert.ok(redis.calls <= 600 / 30 + 2, `one Redis call per lease, not per request (${redis.calls})`);
    assert.deepEqual({ ...l.state('ip:a'), resetSeconds: undefined }, { limit: 600, remaining: 0, resetSeconds: undefined });
    clock.now += 60_000;
    assert.equal(await admitted(l, 'ip:a', 10), 10);
    assert.equal(l.state('ip:a').remaining, 590);
    l.close();
  });

  it('never lets more than max through two instances together, and refuses at most (N−1) × 1.25 leases early', async () => {
    const clock = { now: 0 };
    const redis = new FakeRedis(clock);
    const a = limiter(redis, clock, { max: 600 });
    const b = limiter(redis, clock, { max: 600 });
    let ok = 0;
    for (let i = 0; i < 1_000; i++) if (await (i % 3 === 0 ? b : a).take('user:u')) ok++;
    assert.ok(ok <= 600, `${ok} got through`);
    assert.ok(ok >= 600 - Math.ceil(1.25 * 30), `${ok} got through`);
    a.close();
    b.close();
  });

  it('a small limit is counted request by request', async () => {
    const clock = { now: 0 };
    const redis = new FakeRedis(clock);
    const l = limiter(redis, clock, { max: 3 });
    assert.equal(l.lease, 1);
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await l.take('ip:b'));
    assert.deepEqual(verdicts, [true, true, true, false, false]);
    l.close();
  });

  it('concurrent requests of one client wait for one reservation', async () => {
    const clock = { now: 0 };
    const redis = new FakeRedis(clock);
    const l = limiter(redis, clock, { max: 1_000, lease: 50 });
    const verdicts = await Promise.all(Array.from({ length: 30 }, () => l.take('ip:c')));
    assert.ok(verdicts.every(Boolean));
    assert.equal(redis.calls, 1);
    l.close();
  });

  it('keeps counting locally, up to max per instance, while Redis is down', async () => {
    const clock = { now: 0 };
    const redis = new FakeRedis(clock);
    redis.down = true;
    const errors: Error[] = [];
    const l = new RateLimiter({ redis: redis as unknown as Redis, max: 100, windowMs: 60_000, now: () => clock.now, onRedisError: (e) => errors.push(e) });
    assert.equal(await admitted(l, 'ip:d', 150), 100);
    assert.ok(errors.length > 0);
    clock.now += 60_000;
    redis.down = false;
    assert.equal(await admitted(l, 'ip:d', 10), 10);
    const reserved = redis.keys.get('proxy-rate:ip:d')?.value ?? 0;
    assert.ok(reserved >= 10 && reserved <= 15, `back to counting in Redis (${reserved} reserved)`);
    l.close();
  });
});

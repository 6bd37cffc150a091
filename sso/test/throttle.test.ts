// Brute-force protection of login: Redis counters per account and per client IP, and the fail-open
// policy when Redis is unreachable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { throttleKeys } from '../src/services/login-throttle.ts';
import { PASSWORD, startApp, uniqueEmail, uniqueIp, type TestApp } from './helpers.ts';

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(async () => {
  await t.close();
});

describe('login throttling per account', () => {
  it('answers 429 with Retry-After after 5 failures, and refuses the correct password too', async () => {
    const { email } = await t.newUser('lock');
    const ip = uniqueIp();
    for (let i = 1; i <= 5; i++) {
      const res = await t.login(email, `wrong password ${i}`, ip);
      assert.equal(res.statusCode, 401, `attempt ${i}`);
    }
    const locked = await t.login(email, 'wrong again', ip);
    assert.equal(locked.statusCode, 429, locked.body);
    assert.match(String(locked.headers['content-type']), /^application\/problem\+json/);
    const retryAfter = Number(locked.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 900, `Retry-After ${locked.headers['retry-after']}`);

    const correct = await t.login(email, PASSWORD, ip);
    assert.equal(correct.statusCode, 429, 'a locked account does not reveal that the password was right');
    // The lock is per account, not per client: the same account from another address is locked too.
    assert.equal((await t.login(email, PASSWORD, uniqueIp())).statusCode, 429);
    // ...and other accounts from this address still work.
    const other = await t.newUser('unlocked');
    assert.equal((await t.login(other.email, PASSWORD, ip)).statusCode, 200);
  });

  it('counts the normalized email (case and whitespace do not open a new counter)', async () => {
    const { email } = await t.newUser('norm');
    const ip = uniqueIp();
    for (const variant of [email, email.toUpperCase(), ` ${email} `, email, email.toUpperCase()]) {
      assert.equal((await t.login(variant, 'wrong password', ip)).statusCode, 401);
    }
    assert.equal((await t.login(` ${email.toUpperCase()}`, PASSWORD, ip)).statusCode, 429);
  });

  it('resets the account counter on a successful login', async () => {
    const { email } = await t.newUser('reset');
    const ip = uniqueIp();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) assert.equal((await t.login(email, 'wrong password', ip)).statusCode, 401);
      assert.equal((await t.login(email, PASSWORD, ip)).statusCode, 200, `round ${round}`);
    }
    const keys = throttleKeys(email, ip);
    assert.equal(await t.app.redis.exists(keys.account), 0);
  });

  it('keeps concurrent guesses within the limit', async () => {
    const { email } = await t.newUser('burst');
    const ip = uniqueIp();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => t.login(email, `guess ${i}`, ip)));
    const codes = results.map((r) => r.statusCode);
    assert.equal(codes.filter((c) => c === 401).length, 5, codes.join(','));
    assert.equal(codes.filter((c) => c === 429).length, 7, codes.join(','));
  });
});

describe('login throttling per IP', () => {
  it('answers 429 after 20 failures from one address, whatever the emails', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 20; i++) {
      const res = await t.login(uniqueEmail(`spray${i}`), 'wrong password', ip);
      assert.equal(res.statusCode, 401, `attempt ${i + 1}`);
    }
    const blocked = await t.login(uniqueEmail('spray-next'), 'wrong password', ip);
    assert.equal(blocked.statusCode, 429, blocked.body);
    assert.ok(Number(blocked.headers['retry-after']) > 0);

    const { email } = await t.newUser('victim');
    assert.equal((await t.login(email, PASSWORD, ip)).statusCode, 429, 'even a correct login from the blocked address');
    assert.equal((await t.login(email, PASSWORD, uniqueIp())).statusCode, 200, 'other addresses are not affected');
  });

  it('does not count successful logins against the address', async () => {
    const ip = uniqueIp();
    const { email } = await t.newUser('busy');
    for (let i = 0; i < 25; i++) assert.equal((await t.login(email, PASSWORD, ip)).statusCode, 200, `login ${i + 1}`);
  });

  it('counts the limits and window from the configuration', async () => {
    const small = await startApp({ LOGIN_MAX_FAILURES_PER_IP: '2', LOGIN_MAX_FAILURES_PER_ACCOUNT: '50', LOGIN_FAILURE_WINDOW_SECONDS: '30' });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await small.login(uniqueEmail('cfg'), 'wrong password')).statusCode, 401);
      const res = await small.login(uniqueEmail('cfg'), 'wrong password');
      assert.equal(res.statusCode, 429);
      assert.ok(Number(res.headers['retry-after']) <= 30);
    } finally {
      await small.close();
    }
  });
});

describe('when Redis is unreachable', () => {
  it('fails open: logins keep working, a warning metric counts them', async () => {
    const down = await startApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const { email } = await down.newUser('noredis');
      assert.equal((await down.login(email, 'wrong password')).statusCode, 401);
      assert.equal((await down.login(email)).statusCode, 200);
      const metrics = (await down.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /sso_login_throttle_unavailable_total\{service="sso"\} [1-9]/);
      assert.match(metrics, /sso_logins_total\{outcome="success",service="sso"\} 1/);
    } finally {
      await down.close();
    }
  });
});

describe('metrics', () => {
  it('counts throttled logins', async () => {
    const body = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(body, /sso_logins_total\{outcome="throttled",service="sso"\} [1-9]/);
  });
});

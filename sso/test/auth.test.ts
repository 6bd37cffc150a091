// Register, login, me, refresh rotation with reuse detection, logout: through the routes, against the
// real PostgreSQL and Redis.
import assert from 'node:assert/strict';
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PASSWORD, decodeJwt, startApp, uniqueEmail, type LoginResult, type TestApp } from './helpers.ts';

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(async () => {
  await t.close();
});

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

async function loginOk(email: string): Promise<LoginResult> {
  const res = await t.login(email);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<LoginResult>();
}

describe('register', () => {
  it('creates a customer, normalizing email and name; login and me work', async () => {
    const raw = uniqueEmail('Happy').toUpperCase();
    const res = await t.register({ email: `  ${raw} `, password: PASSWORD, name: '  Ann Lee ' });
    assert.equal(res.statusCode, 201, res.body);
    const user = res.json<{ id: string; email: string; name: string; role: string }>();
    assert.deepEqual(Object.keys(user).sort(), ['email', 'id', 'name', 'role']);
    assert.equal(user.email, raw.toLowerCase());
    assert.equal(user.name, 'Ann Lee');
    assert.equal(user.role, 'customer');

    const login = await t.login(` ${raw} `);
    assert.equal(login.statusCode, 200, login.body);
    assert.equal(login.headers['cache-control'], 'no-store');
    const pair = login.json<LoginResult>();
    assert.equal(pair.tokenType, 'Bearer');
    assert.equal(pair.expiresIn, 900);
    assert.match(pair.refreshToken, /^[A-Za-z0-9_-]{43}$/);

    const me = await t.me(pair.accessToken);
    assert.equal(me.statusCode, 200, me.body);
    assert.deepEqual(me.json(), user);
  });

  it('registers a seller when asked', async () => {
    const res = await t.register({ email: uniqueEmail('seller'), password: PASSWORD, name: 'Shop', role: 'seller' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json<{ role: string }>().role, 'seller');
  });

  it('answers 409 for a taken email, also in another case and with whitespace', async () => {
    const email = uniqueEmail('dup');
    assert.equal((await t.register({ email, password: PASSWORD, name: 'First' })).statusCode, 201);
    for (const variant of [email, email.toUpperCase(), `  ${email}\t`]) {
      const res = await t.register({ email: variant, password: PASSWORD, name: 'Second' });
      assert.equal(res.statusCode, 409, `${variant}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.equal(res.json<{ status: number }>().status, 409);
    }
  });

  it('answers exactly one 201 and 409s to concurrent registrations of one email (unique index)', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all([0, 1, 2, 3].map((i) => t.register({ email: i % 2 ? email.toUpperCase() : email, password: PASSWORD, name: 'Racer' })));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 409, 409, 409]);
  });

  it('refuses weak passwords with problem+json errors', async () => {
    const email = uniqueEmail('weak');
    const cases: [string, RegExp][] = [
      ['short', /fewer than 8 characters/],
      ['x'.repeat(129), /more than 128 characters/],
      [email, /must not be the same as the email/],
      [`  ${email.toUpperCase()}`, /must not be the same as the email/],
    ];
    for (const [password, message] of cases) {
      const res = await t.register({ email, password, name: 'Weak' });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      const problem = res.json<{ errors: { pointer: string; message: string }[] }>();
      const error = problem.errors.find((e) => e.pointer === '/password');
      assert.ok(error, res.body);
      assert.match(error.message, message);
    }
    // None of them created the account.
    assert.equal((await t.register({ email, password: PASSWORD, name: 'Weak' })).statusCode, 201);
  });

  it('refuses registering as admin with a clear message', async () => {
    const email = uniqueEmail('admin');
    const res = await t.register({ email, password: PASSWORD, name: 'Mallory', role: 'admin' });
    assert.equal(res.statusCode, 400, res.body);
    const problem = res.json<{ detail: string; errors: { pointer: string }[] }>();
    assert.match(problem.detail, /admin is not allowed/i);
    assert.equal(problem.errors[0]?.pointer, '/role');
    assert.equal((await t.login(email)).statusCode, 401, 'no account was created');
  });

  it('refuses unknown body properties, bad roles, bad emails and blank names', async () => {
    const base = { email: uniqueEmail('strict'), password: PASSWORD, name: 'Strict' };
    for (const [body, pointer] of [
      [{ ...base, isAdmin: true }, '/isAdmin'],
      [{ ...base, role: 'root' }, '/role'],
      [{ ...base, email: 'not-an-email' }, '/email'],
      [{ ...base, name: '   ' }, '/name'],
      [{ ...base, name: 'n'.repeat(101) }, '/name'],
    ] as const) {
      const res = await t.register(body);
      assert.equal(res.statusCode, 400, res.body);
      assert.ok(res.json<{ errors: { pointer: string }[] }>().errors.some((e) => e.pointer === pointer), res.body);
    }
  });

  it('stores the password as a self-describing scrypt hash, never in plain text', async () => {
    const { id } = await t.newUser('hash');
    const row = await t.app.prisma.user.findUniqueOrThrow({ where: { id } });
    assert.match(row.passwordHash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.ok(!row.passwordHash.includes(PASSWORD));
    const { id: other } = await t.newUser('hash2');
    const otherRow = await t.app.prisma.user.findUniqueOrThrow({ where: { id: other } });
    assert.notEqual(otherRow.passwordHash.split('$')[4], row.passwordHash.split('$')[4], 'per-user salt');
  });
});

describe('login', () => {
  it('upgrades a hash made with older scrypt parameters on a successful login', async () => {
    const { email, id } = await t.newUser('rehash');
    const salt = randomBytes(16);
    const old = `scrypt$1024$8$1$${salt.toString('base64url')}$${scryptSync(PASSWORD, salt, 32, { N: 1024, r: 8, p: 1 }).toString('base64url')}`;
    await t.app.prisma.user.update({ where: { id }, data: { passwordHash: old } });
    assert.equal((await t.login(email)).statusCode, 200);
    const row = await t.app.prisma.user.findUniqueOrThrow({ where: { id } });
    assert.match(row.passwordHash, /^scrypt\$32768\$8\$1\$/);
    assert.equal((await t.login(email)).statusCode, 200);
  });

  it('answers 401 with the same message for a wrong password and an unknown email', async () => {
    const { email } = await t.newUser('wrong');
    const wrong = await t.login(email, 'not the password');
    const unknown = await t.login(uniqueEmail('nobody'), PASSWORD);
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    assert.equal(wrong.json<{ detail: string }>().detail, unknown.json<{ detail: string }>().detail);
    assert.match(String(wrong.headers['content-type']), /^application\/problem\+json/);
  });
});

describe('me', () => {
  it('answers 401 with WWW-Authenticate: Bearer without a token or with a malformed header', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer not-a-jwt']) {
      const res = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, 401, String(authorization));
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
  });

  it('takes the identity only from the token, never from x-user-id', async () => {
    const { id } = await t.newUser('spoof');
    const res = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { 'x-user-id': id, 'x-user-role': 'admin' } });
    assert.equal(res.statusCode, 401);
  });
});

describe('refresh tokens', () => {
  it('rotates: a new pair, and the old refresh token stops working', async () => {
    const { email, id } = await t.newUser('rotate');
    const first = await loginOk(email);
    const res = await t.refresh(first.refreshToken);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const second = res.json<LoginResult>();
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal(decodeJwt(second.accessToken).payload.sub, id);
    assert.equal((await t.me(second.accessToken)).statusCode, 200);
    assert.equal((await t.refresh(first.refreshToken)).statusCode, 401, 'the rotated token is single-use');
  });

  it('revokes the whole family when a rotated token is presented again (reuse detection)', async () => {
    const { email } = await t.newUser('reuse');
    const first = await loginOk(email);
    const otherSession = await loginOk(email);
    const second = (await t.refresh(first.refreshToken)).json<LoginResult>();
    const third = (await t.refresh(second.refreshToken)).json<LoginResult>();
    assert.ok(third.refreshToken);

    const reuse = await t.refresh(first.refreshToken);
    assert.equal(reuse.statusCode, 401);
    assert.match(String(reuse.headers['www-authenticate']), /^Bearer/);
    assert.equal((await t.refresh(third.refreshToken)).statusCode, 401, 'the newest token of the family is revoked too');
    assert.equal((await t.refresh(otherSession.refreshToken)).statusCode, 200, 'other sessions (families) are unaffected');
  });

  it('lets exactly one of several concurrent refreshes of the same token succeed', async () => {
    const { email } = await t.newUser('concurrent');
    const { refreshToken } = await loginOk(email);
    const results = await Promise.all(Array.from({ length: 6 }, () => t.refresh(refreshToken)));
    const codes = results.map((r) => r.statusCode).sort();
    assert.deepEqual(codes, [200, 401, 401, 401, 401, 401], results.map((r) => r.body).join('\n'));
  });

  it('answers 401 to an unknown or expired refresh token', async () => {
    assert.equal((await t.refresh(randomBytes(32).toString('base64url'))).statusCode, 401);
    const { id } = await t.newUser('expired');
    const raw = randomBytes(32).toString('base64url');
    await t.app.prisma.refreshToken.create({
      data: { userId: id, familyId: crypto.randomUUID(), tokenHash: sha256(raw), expiresAt: new Date(Date.now() - 1000) },
    });
    const res = await t.refresh(raw);
    assert.equal(res.statusCode, 401, res.body);
    // The control: the same kind of row, unexpired, does rotate (so the 401 above is the expiry).
    const fresh = randomBytes(32).toString('base64url');
    await t.app.prisma.refreshToken.create({
      data: { userId: id, familyId: crypto.randomUUID(), tokenHash: sha256(fresh), expiresAt: new Date(Date.now() + 60_000) },
    });
    assert.equal((await t.refresh(fresh)).statusCode, 200);
  });

  it('stores refresh tokens only as SHA-256 hashes', async () => {
    const { email, id } = await t.newUser('stored');
    const { refreshToken } = await loginOk(email);
    const rows = await t.app.prisma.$queryRaw<Record<string, unknown>[]>`SELECT * FROM refresh_tokens WHERE user_id = ${id}::uuid`;
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(refreshToken), 'the raw token is not in the table');
    assert.equal(rows[0]?.token_hash, sha256(refreshToken));
  });

  it('reflects a role change in the access token of the next refresh', async () => {
    const { email, id } = await t.newUser('promote');
    const { refreshToken, accessToken } = await loginOk(email);
    assert.equal(decodeJwt(accessToken).payload.role, 'customer');
    await t.app.prisma.user.update({ where: { id }, data: { role: 'seller' } });
    const next = (await t.refresh(refreshToken)).json<LoginResult>();
    assert.equal(decodeJwt(next.accessToken).payload.role, 'seller');
  });

  it('rejects unknown properties in the refresh body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 'x', userId: 'y' } });
    assert.equal(res.statusCode, 400);
  });
});

describe('logout', () => {
  it('revokes the session: its refresh tokens stop working, other sessions keep working', async () => {
    const { email } = await t.newUser('logout');
    const first = await loginOk(email);
    const other = await loginOk(email);
    const rotated = (await t.refresh(first.refreshToken)).json<LoginResult>();
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/logout', payload: { refreshToken: rotated.refreshToken } });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assert.equal((await t.refresh(rotated.refreshToken)).statusCode, 401);
    assert.equal((await t.refresh(other.refreshToken)).statusCode, 200);
  });

  it('is idempotent: an unknown or already revoked token still gets 204', async () => {
    const { email } = await t.newUser('logout2');
    const { refreshToken } = await loginOk(email);
    for (const token of [refreshToken, refreshToken, randomBytes(32).toString('base64url')]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/logout', payload: { refreshToken: token } });
      assert.equal(res.statusCode, 204);
    }
  });
});

describe('metrics', () => {
  it('counts logins, refreshes and registrations by outcome', async () => {
    const body = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(body, /sso_logins_total\{outcome="success",service="sso"\} [1-9]/);
    assert.match(body, /sso_logins_total\{outcome="bad_credentials",service="sso"\} [1-9]/);
    assert.match(body, /sso_token_refreshes_total\{outcome="rotated",service="sso"\} [1-9]/);
    assert.match(body, /sso_token_refreshes_total\{outcome="reused",service="sso"\} [1-9]/);
    assert.match(body, /sso_token_refreshes_total\{outcome="invalid",service="sso"\} [1-9]/);
    assert.match(body, /sso_registrations_total\{role="customer",service="sso"\} [1-9]/);
  });
});

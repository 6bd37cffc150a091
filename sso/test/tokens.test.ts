// Access tokens: ES256 with the contract's claims, verifiable against the JWKS; forged tokens are
// refused by /me; key rotation (CLI) keeps earlier tokens valid and is picked up without a restart.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, createPrivateKey, createPublicKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, JWKS_PATH } from '@shop/contracts/auth';
import { createDb } from '../src/db.ts';
import { SigningKeyRepository } from '../src/repositories/signing-keys.ts';
import { SigningKeys, generateSigningKey } from '../src/services/signing-keys.ts';
import { DATABASE_URL, decodeJwt, startApp, testEnv, type LoginResult, type TestApp } from './helpers.ts';

const root = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);

let t: TestApp;
let user: { id: string; email: string };
before(async () => {
  // Keys are re-read after 1 s (default 5 s), so the rotation test need not wait long.
  t = await startApp({ SIGNING_KEY_CACHE_SECONDS: '1' });
  user = await t.newUser('tokens');
});
after(async () => {
  await t.close();
});

async function accessToken(): Promise<string> {
  const res = await t.login(user.email);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<LoginResult>().accessToken;
}

async function jwks(): Promise<(JsonWebKey & { kid: string })[]> {
  const res = await t.app.inject({ method: 'GET', url: JWKS_PATH });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'public, max-age=60');
  return res.json<{ keys: (JsonWebKey & { kid: string })[] }>().keys;
}

/** Verifies like the proxy does: the key from the JWKS by kid, ES256 only, iss and aud checked. */
async function verifyWithJwks(token: string): Promise<jwt.JwtPayload> {
  const { kid } = decodeJwt(token).header;
  const jwk = (await jwks()).find((k) => k.kid === kid);
  assert.ok(jwk, `kid ${String(kid)} is in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return jwt.verify(token, key, { algorithms: ['ES256'], issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE }) as jwt.JwtPayload;
}

async function privateKeyOf(kid: string): Promise<KeyObject> {
  const row = await t.app.prisma.signingKey.findUniqueOrThrow({ where: { kid } });
  return createPrivateKey(row.privatePem);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access tokens', () => {
  it('are ES256 JWTs with kid, jti, sub, role, iss, aud, iat, exp that verify against the JWKS', async () => {
    const token = await accessToken();
    const { header } = decodeJwt(token);
    assert.equal(header.alg, 'ES256');
    assert.equal(typeof header.kid, 'string');
    const claims = await verifyWithJwks(token);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.role, 'customer');
    assert.equal(claims.iss, ACCESS_TOKEN_ISSUER);
    assert.equal(claims.aud, ACCESS_TOKEN_AUDIENCE);
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
    assert.equal(claims.exp! - claims.iat!, 900);
    assert.notEqual((await verifyWithJwks(await accessToken())).jti, claims.jti, 'a fresh jti per token');
  });

  it('publishes only public EC P-256 keys in the JWKS', async () => {
    const keys = await jwks();
    assert.ok(keys.length >= 1);
    for (const key of keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      assert.equal(key.alg, 'ES256');
      assert.equal(key.use, 'sig');
      assert.equal(key.crv, 'P-256');
      assert.equal(key.d, undefined);
    }
  });
});

describe('/me refuses forged and invalid tokens', () => {
  let good: string;
  let kid: string;
  let claims: Record<string, unknown>;
  let signingKey: KeyObject;
  before(async () => {
    good = await accessToken();
    kid = String(decodeJwt(good).header.kid);
    claims = decodeJwt(good).payload;
    signingKey = await privateKeyOf(kid);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const sign = (payload: Record<string, unknown>, key: KeyObject = signingKey, keyid = kid) =>
    jwt.sign(payload, key, { algorithm: 'ES256', keyid });

  async function assertRefused(token: string, why: string) {
    const res = await t.me(token);
    assert.equal(res.statusCode, 401, `${why}: ${res.body}`);
    assert.match(String(res.headers['www-authenticate']), /^Bearer/, why);
  }

  it('accepts the control: a token we sign ourselves with the real key and valid claims', async () => {
    assert.equal((await t.me(good)).statusCode, 200);
    const res = await t.me(sign({ ...claims, jti: randomUUID(), iat: now(), exp: now() + 60 }));
    assert.equal(res.statusCode, 200, res.body);
  });

  it('refuses alg "none"', async () => {
    await assertRefused(`${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims)}.`, 'alg none');
  });

  it('refuses HS256 signed with the public key (PEM) as the HMAC secret', async () => {
    const publicPem = createPublicKey(signingKey).export({ format: 'pem', type: 'spki' }).toString();
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64(claims)}`;
    const signature = createHmac('sha256', publicPem).update(input).digest('base64url');
    await assertRefused(`${input}.${signature}`, 'HS256 with the public key');
  });

  it('refuses an unknown kid, and a known kid signed by another key', async () => {
    const other = createPrivateKey((await generateSigningKey()).privatePem);
    await assertRefused(sign({ ...claims }, other, 'no-such-kid'), 'unknown kid');
    await assertRefused(sign({ ...claims }, other, kid), 'wrong key for the kid');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = good.split('.');
    await assertRefused(`${header}.${b64({ ...claims, role: 'admin' })}.${signature}`, 'role changed to admin');
  });

  it('refuses an expired token, a wrong issuer and a wrong audience', async () => {
    await assertRefused(sign({ ...claims, iat: now() - 1000, exp: now() - 60 }), 'expired');
    await assertRefused(sign({ ...claims, iss: 'someone-else' }), 'issuer');
    await assertRefused(sign({ ...claims, aud: 'another-api' }), 'audience');
    await assertRefused(sign({ ...claims, role: 'superuser' }), 'role outside the contract');
  });
});

describe('signing keys', () => {
  it('rotation (CLI): publish, then activate; old tokens keep verifying, new tokens carry the new kid', async () => {
    const before = await accessToken();
    const oldKid = decodeJwt(before).header.kid as string;

    const { stdout } = await run(process.execPath, ['sso/src/cli.ts', 'rotate-key', '--activate-in', '6'], { cwd: root, env: { PATH: process.env.PATH, ...testEnv() } });
    const rotated = JSON.parse(stdout) as { kid: string; activatesAt: string; retired: string[] };
    assert.notEqual(rotated.kid, oldKid);
    assert.ok(rotated.retired.includes(oldKid), stdout);
    const activatesAt = Date.parse(rotated.activatesAt);

    await new Promise((resolve) => setTimeout(resolve, 1_100)); // SIGNING_KEY_CACHE_SECONDS=1
    const kids = (await jwks()).map((k) => k.kid);
    assert.ok(kids.includes(rotated.kid) && kids.includes(oldKid), 'the new key is published before it signs; the old one stays');
    const during = await accessToken();
    const signedAfterActivation = Date.now() >= activatesAt;
    // Published, not yet signing: until the activation moment the old key keeps signing.
    if (!signedAfterActivation) assert.equal(decodeJwt(during).header.kid, oldKid, 'the new key does not sign before its activation');
    assert.equal((await t.me(during)).statusCode, 200);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, activatesAt - Date.now()) + 1_100));
    await verifyWithJwks(before);
    assert.equal((await t.me(before)).statusCode, 200, 'a token signed before the rotation still works');
    const after = await accessToken();
    assert.equal(decodeJwt(after).header.kid, rotated.kid, 'the running service signs with the new key after the activation, no restart');
    await verifyWithJwks(after);
    assert.equal((await t.me(after)).statusCode, 200);
    assert.ok((await jwks()).some((k) => k.kid === oldKid), 'the retired key keeps verifying for the grace period');
  });

  it('rotation (CLI) waits SIGNING_KEY_PUBLISH_SECONDS by default and refuses a bad --activate-in', async () => {
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['sso/src/cli.ts', 'rotate-key'], { cwd: root, env: { PATH: process.env.PATH, ...testEnv({ SIGNING_KEY_PUBLISH_SECONDS: '3600' }) } });
    const rotated = JSON.parse(stdout) as { kid: string; activatesAt: string };
    try {
      const delay = Date.parse(rotated.activatesAt) - started;
      assert.ok(delay >= 3_590_000 && delay <= 3_600_000 + 60_000, `activates ${delay} ms after the command started`);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      assert.ok((await jwks()).some((k) => k.kid === rotated.kid), 'published at once');
      assert.notEqual(decodeJwt(await accessToken()).header.kid, rotated.kid, 'not signing for an hour');
    } finally {
      // Put the key set back as it was: the pending key goes, the key it would have replaced stays active.
      await t.app.prisma.signingKey.delete({ where: { kid: rotated.kid } });
      await t.app.prisma.signingKey.updateMany({ where: { retiredAt: new Date(rotated.activatesAt) }, data: { retiredAt: null } });
    }
    await assert.rejects(
      run(process.execPath, ['sso/src/cli.ts', 'rotate-key', '--activate-in', 'soon'], { cwd: root, env: { PATH: process.env.PATH, ...testEnv() } }),
      (err: { code?: number; stderr?: string }) => err.code === 64 && /--activate-in/.test(String(err.stderr)),
    );
  });

  it('drops a key retired longer ago than the access-token lifetime from JWKS and verification', async () => {
    const key = await generateSigningKey();
    const longAgo = new Date(Date.now() - (900 + 60) * 1000);
    await t.app.prisma.signingKey.create({ data: { ...key, retiredAt: longAgo, createdAt: new Date(longAgo.getTime() - 3_600_000) } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      assert.ok(!(await jwks()).some((k) => k.kid === key.kid));
      const token = jwt.sign({ role: 'customer', jti: randomUUID() }, createPrivateKey(key.privatePem), {
        algorithm: 'ES256', keyid: key.kid, issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, subject: user.id, expiresIn: 60,
      });
      assert.equal((await t.me(token)).statusCode, 401);
    } finally {
      await t.app.prisma.signingKey.deleteMany({ where: { kid: key.kid } });
    }
  });

  it('creates exactly one active key when instances start at once on a table without one', async () => {
    const dbs = [createDb(DATABASE_URL), createDb(DATABASE_URL), createDb(DATABASE_URL)];
    try {
      await t.app.prisma.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: new Date() } });
      const stores = dbs.map((db) => new SigningKeys(new SigningKeyRepository(db), { accessTokenTtlSeconds: 900, cacheSeconds: 5 }));
      const results = await Promise.all(stores.map((s) => s.ensureActiveKey()));
      assert.equal(results.filter((r) => r.created).length, 1, JSON.stringify(results));
      assert.equal(new Set(results.map((r) => r.kid)).size, 1);
      assert.equal(await t.app.prisma.signingKey.count({ where: { retiredAt: null } }), 1);
    } finally {
      await Promise.all(dbs.map((db) => db.$disconnect()));
    }
    // Tokens keep flowing with the new key.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal((await t.me(await accessToken())).statusCode, 200);
  });
});

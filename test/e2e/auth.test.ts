// Identity and gateway security, end to end: the real sso behind the real proxy (./make.sh started both).
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '@shop/contracts';
import { api, type ApiRequest } from '../../scripts/api.ts';
import { buildService } from '../../proxy/src/app.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const SSO_DIRECT = 'http://127.0.0.1:8081';
const ssoDb = new pg.Client({ connectionString: process.env.DATABASE_URL_SSO ?? 'postgresql://shop:shop@127.0.0.1:5432/sso' });

interface Tokens { accessToken: string; refreshToken: string }

const call = (path: string, init: ApiRequest & { json?: unknown } = {}, base = PROXY) =>
  api(base, path, { ...init, body: init.json ?? init.body });

const email = () => `user-${randomUUID()}@Example.COM `;
const password = 'correct horse battery staple';

async function signUp(role: 'customer' | 'seller' = 'customer') {
  const address = email();
  const reg = await call('/api/auth/register', { method: 'POST', json: { email: address, password, name: 'Test User', role } });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const login = await call('/api/auth/login', { method: 'POST', json: { email: address, password } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return { id: reg.body.id as string, email: address.trim().toLowerCase(), tokens: login.body as Tokens };
}

const me = (token: string, extra: Record<string, string> = {}, base = PROXY) =>
  call('/api/auth/me', { headers: { authorization: `Bearer ${token}`, ...extra } }, base);

let signer: { kid: string; privatePem: string };
let user: Awaited<ReturnType<typeof signUp>>;

before(async () => {
  await ssoDb.connect();
  user = await signUp();
  const { kid } = jwt.decode(user.tokens.accessToken, { complete: true })!.header as { kid: string };
  const { rows } = await ssoDb.query<{ kid: string; private_pem: string }>('SELECT kid, private_pem FROM signing_keys WHERE kid = $1', [kid]);
  signer = { kid: rows[0]!.kid, privatePem: rows[0]!.private_pem };
});
after(() => ssoDb.end());

/** A token signed with the sso's real key, with the given claims changed. */
function forge(claims: Record<string, unknown>, options: jwt.SignOptions = {}) {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { sub: user.id, role: 'customer', iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE, iat: now, exp: now + 300, jti: randomUUID(), ...claims },
    signer.privatePem,
    { algorithm: 'ES256', keyid: signer.kid, ...options },
  );
}

describe('access tokens through the proxy', () => {
  it('accepts a real token and rejects a missing one on a private route', async () => {
    const ok = await me(user.tokens.accessToken);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.email, user.email);
    const none = await call('/api/auth/me');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  });

  it('our own forge helper makes tokens the proxy accepts (so the rejections below mean something)', async () => {
    assert.equal((await me(forge({}))).status, 200);
  });

  it('rejects alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: signer.kid })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(jwt.decode(forge({})))).toString('base64url');
    assert.equal((await me(`${header}.${payload}.`)).status, 401);
  });

  it('rejects HS256 signed with the public key as the secret', async () => {
    const jwks = (await call('/.well-known/jwks.json')).body as { keys: { kid: string }[] };
    const { createPublicKey } = await import('node:crypto');
    const publicPem = createPublicKey({ key: jwks.keys.find((k) => k.kid === signer.kid) as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign({ sub: user.id, role: 'admin', iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE, iat: now, exp: now + 300, jti: randomUUID() }, publicPem, { algorithm: 'HS256', keyid: signer.kid });
    const res = await me(token);
    assert.equal(res.status, 401);
    assert.match(res.body.detail, /algorithm HS256/);
  });

  it('rejects expired, wrong-issuer and wrong-audience tokens', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    for (const [claims, reason] of [
      [{ iat: past - 900, exp: past }, /expired/],
      [{ iss: 'someone-else' }, /issuer/],
      [{ aud: 'another-api' }, /audience/],
    ] as const) {
      const res = await me(forge(claims));
      assert.equal(res.status, 401, JSON.stringify(claims));
      assert.match(res.body.detail, reason);
    }
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = user.tokens.accessToken.split('.');
    const claims = jwt.decode(user.tokens.accessToken) as Record<string, unknown>;
    const tampered = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    const res = await me(`${h}.${tampered}.${s}`);
    assert.equal(res.status, 401);
    assert.match(res.body.detail, /signature/);
  });

  it('rejects a token signed by a key the sso never published', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = jwt.sign(
      { sub: user.id, role: 'admin', iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE, jti: randomUUID() },
      privateKey.export({ type: 'pkcs8', format: 'pem' }), { algorithm: 'ES256', keyid: `rogue-${randomUUID()}`, expiresIn: 300 },
    );
    const res = await me(token);
    assert.equal(res.status, 401);
    assert.match(res.body.detail, /unknown signing key/);
  });

  it('never takes identity from client headers, at the proxy or at a service', async () => {
    const spoof = { 'x-user-id': randomUUID(), 'x-user-role': 'admin', 'x-role': 'admin' };
    assert.equal((await call('/api/auth/me', { headers: spoof })).status, 401, 'proxy');
    assert.equal((await call('/api/auth/me', { headers: spoof }, SSO_DIRECT)).status, 401, 'sso directly');
    const res = await me(user.tokens.accessToken, spoof);
    assert.equal(res.body.role, 'customer');
    assert.equal(res.body.id, user.id);
    const writeWithoutToken = await call('/api/items', { method: 'POST', headers: spoof, json: { name: 'x' } });
    assert.equal(writeWithoutToken.status, 401);
  });
});

describe('accounts through the proxy', () => {
  it('refuses to register an admin', async () => {
    const res = await call('/api/auth/register', { method: 'POST', json: { email: email(), password, name: 'Mallory', role: 'admin' } });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
  });

  it('revokes the whole family when a rotated refresh token is reused', async () => {
    const u = await signUp();
    const first = await call('/api/auth/refresh', { method: 'POST', json: { refreshToken: u.tokens.refreshToken } });
    assert.equal(first.status, 200);
    const reuse = await call('/api/auth/refresh', { method: 'POST', json: { refreshToken: u.tokens.refreshToken } });
    assert.equal(reuse.status, 401);
    const newest = await call('/api/auth/refresh', { method: 'POST', json: { refreshToken: first.body.refreshToken } });
    assert.equal(newest.status, 401, 'the newest token of the family is revoked too');
  });

  it('throttles repeated failed logins with 429 and Retry-After', async () => {
    const u = await signUp();
    let last = await call('/api/auth/login', { method: 'POST', json: { email: u.email, password: 'wrong password!' } });
    for (let i = 0; i < 10 && last.status !== 429; i++) {
      last = await call('/api/auth/login', { method: 'POST', json: { email: u.email, password: 'wrong password!' } });
    }
    assert.equal(last.status, 429);
    assert.ok(Number(last.headers.get('retry-after')) > 0);
    const right = await call('/api/auth/login', { method: 'POST', json: { email: u.email, password } });
    assert.equal(right.status, 429, 'the right password does not get through while throttled');
  });
});

describe('gateway limits', () => {
  it('rejects an oversized body before it reaches a service', async () => {
    const res = await call('/api/auth/login', { method: 'POST', json: { email: 'a@b.c', password: 'x'.repeat(2 * 1024 * 1024) } });
    assert.equal(res.status, 413);
    assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
  });

  describe('with a proxy built in-process against the same services and Redis', () => {
    let proxy: Awaited<ReturnType<typeof buildService>>;
    let blackHole: Server;
    before(async () => {
      blackHole = createServer(() => undefined); // accepts connections, never answers
      await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
      const { port } = blackHole.address() as { port: number };
      proxy = await buildService({
        ...process.env, LOG_LEVEL: 'silent', PORT: '18080', RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000', UPSTREAM_TIMEOUT_MS: '300',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        SSO_URL: SSO_DIRECT, ITEM_CRUD_URL: 'http://127.0.0.1:1', ITEM_ETL_URL: 'http://127.0.0.1:8083',
        SEARCH_URL: `http://127.0.0.1:${port}`, FACADE_URL: 'http://127.0.0.1:8085', CORS_ORIGINS: 'https://shop.example',
      });
      await proxy.app.ready();
    });
    after(async () => {
      await proxy.app.close();
      blackHole.close();
    });

    it('limits requests per client with a problem+json 429', async () => {
      const remoteAddress = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 5; i++) {
        last = await proxy.app.inject({ url: '/api/categories', remoteAddress });
        statuses.push(last.statusCode);
      }
      assert.deepEqual(statuses.slice(3), [429, 429]);
      assert.match(last!.headers['content-type'] as string, /problem\+json/);
      assert.ok(Number(last!.headers['retry-after']) > 0);
    });

    it('answers an unreachable service with 503 and a silent one with 504', async () => {
      const down = await proxy.app.inject({ url: '/api/categories', remoteAddress: '10.250.0.1' });
      assert.equal(down.statusCode, 503);
      assert.match(down.json().detail, /item-crud is not reachable/);
      const slow = await proxy.app.inject({ url: '/api/search?q=x', remoteAddress: '10.250.0.2' });
      assert.equal(slow.statusCode, 504);
      assert.match(slow.json().detail, /search did not answer within 300 ms/);
    });

    it('answers CORS only for configured origins', async () => {
      const preflight = (origin: string) => proxy.app.inject({
        method: 'OPTIONS', url: '/api/items', remoteAddress: '10.250.0.3',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      const allowed = await preflight('https://shop.example');
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://shop.example');
      const other = await preflight('https://evil.example');
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    });

    it('serves one OpenAPI document merged from the services, and Swagger UI', async () => {
      const doc = (await proxy.app.inject({ url: '/docs/openapi.json', remoteAddress: '10.250.0.4' })).json();
      assert.ok(doc.paths['/api/auth/login']?.post, 'the sso routes are in');
      assert.ok(doc.paths['/api/auth/register']?.post);
      assert.equal(doc.paths['/health/ready'], undefined, 'internal routes are not');
      assert.match(doc.info.description, /item-crud/, 'an unreachable service is named');
      const ui = await proxy.app.inject({ url: '/docs/', remoteAddress: '10.250.0.4' });
      assert.equal(ui.statusCode, 200);
      assert.match(ui.body, /swagger/i);
    });
  });
});

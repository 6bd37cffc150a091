// The JWKS verifier against a real HTTP server publishing a key set that the test changes: a key
// published after the verifier's last fetch is accepted (never refused during a cooldown), and a
// storm of tokens with made-up kids costs at most one fetch per interval.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { Type } from '@sinclair/typebox';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '@shop/contracts';
import { JwksVerifier, TokenError, authPlugin, requireAuth, requireService } from './auth.ts';
import { baseConfig, portConfig } from './config.ts';
import { createService, type App } from './service.ts';

interface TestKey { kid: string; privateKey: KeyObject; jwk: Record<string, unknown> }

function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

const signClaims = (key: TestKey, claims: Record<string, unknown>, kid = key.kid) => jwt.sign({ jti: randomUUID(), ...claims }, key.privateKey, {
  algorithm: 'ES256', keyid: kid, issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, subject: randomUUID(), expiresIn: 60,
});
const sign = (key: TestKey, kid = key.kid) => signClaims(key, { role: 'customer' }, kid);

let server: Server;
let url: string;
let published: TestKey[] = [];
let served = 0;

before(async () => {
  server = createServer((_req, res) => {
    served += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('JwksVerifier', () => {
  it('accepts a key published right after its last fetch, within the refetch interval', async () => {
    const first = newKey();
    published = [first];
    const verifier = new JwksVerifier({ jwksUrl: url, minRefetchIntervalMs: 300 });
    await verifier.warmUp();
    assert.equal((await verifier.verify(sign(first))).role, 'customer');

    // A rotation: the new key appears in the JWKS a moment after the verifier fetched it.
    const second = newKey();
    published = [first, second];
    const fetchesBefore = verifier.fetches;
    const identities = await Promise.all([sign(second), sign(second), sign(second)].map((t) => verifier.verify(t)));
    assert.ok(identities.every((i) => i.role === 'customer'), 'tokens of the new key are accepted, not refused during the cooldown');
    assert.equal(verifier.fetches - fetchesBefore, 1, 'the three waiting tokens shared one fetch');
  });

  it('refuses a kid that is still unknown after the fetch, and a storm of such kids fetches at most once per interval', async () => {
    const known = newKey();
    published = [known];
    const interval = 400;
    const verifier = new JwksVerifier({ jwksUrl: url, minRefetchIntervalMs: interval });
    await verifier.warmUp();
    const servedBefore = served;
    const started = Date.now();
    // 3 waves of 50 tokens with made-up kids, one wave after another.
    for (let wave = 0; wave < 3; wave++) {
      const results = await Promise.allSettled(Array.from({ length: 50 }, () => verifier.verify(sign(known, randomUUID()))));
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.ok(r.reason instanceof TokenError && /unknown signing key/.test(r.reason.message), String(r.reason));
      }
    }
    const fetches = served - servedBefore;
    const intervals = Math.floor((Date.now() - started) / interval) + 1;
    assert.ok(fetches >= 1 && fetches <= intervals, `${fetches} fetches over ${intervals} intervals`);
    assert.ok(fetches <= 3, `one fetch per wave at most, got ${fetches}`);
  });

  it('answers 503 (not 401) when the key set cannot be fetched at all', async () => {
    const verifier = new JwksVerifier({ jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json', minRefetchIntervalMs: 50, fetchTimeoutMs: 500 });
    await assert.rejects(verifier.verify(sign(newKey())), (err: Error & { status?: number }) => err.status === 503);
  });
});

describe('service identity', () => {
  let app: App;
  let key: TestKey;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const service = (scope: string) => signClaims(key, { role: 'service', scope });

  before(async () => {
    key = newKey();
    published = [key];
    ({ app } = await createService({
      name: 'auth-test', config: Type.Object({ ...baseConfig, PORT: portConfig(8099) }), env: { LOG_LEVEL: 'silent' },
    }));
    await app.register(authPlugin, { jwksUrl: url });
    app.post('/internal/reservations', { schema: { body: Type.Object({ n: Type.Integer() }) }, preHandler: requireService('stock:reserve') },
      async (request) => ({ by: request.identity!.id, scopes: request.identity!.scopes }));
    app.get('/api/open', { schema: {} }, async (request) => ({ identity: request.identity }));
    app.get('/api/mine', { schema: {}, preHandler: requireAuth() }, async (request) => ({ role: request.identity!.role }));
    app.get('/api/stock', { schema: {}, preHandler: requireAuth('seller', 'admin').orService('stock:read') }, async (request) => ({ role: request.identity!.role }));
    await app.ready();
  });
  after(() => app.close());

  it('verifies a service token into an identity with its scopes; users have none', async () => {
    const verifier = new JwksVerifier({ jwksUrl: url });
    const identity = await verifier.verify(service('stock:reserve cart:read'));
    assert.equal(identity.role, 'service');
    assert.deepEqual(identity.scopes, ['stock:reserve', 'cart:read']);
    assert.deepEqual((await verifier.verify(sign(key))).scopes, []);
  });

  it('keeps the claim checks strict: no service token without a valid scope, no user token with one, no other role', async () => {
    const verifier = new JwksVerifier({ jwksUrl: url });
    const malformed = [
      signClaims(key, { role: 'service' }),
      signClaims(key, { role: 'service', scope: '' }),
      signClaims(key, { role: 'service', scope: 'a  b' }),
      signClaims(key, { role: 'service', scope: 'Stock' }),
      signClaims(key, { role: 'service', scope: ['stock:reserve'] }),
      signClaims(key, { role: 'customer', scope: 'stock:reserve' }),
      signClaims(key, { role: 'root', scope: 'stock:reserve' }),
    ];
    for (const token of malformed) {
      await assert.rejects(verifier.verify(token), (err: Error) => err instanceof TokenError && /claims are malformed/.test(err.message), jwt.decode(token) as never);
    }
  });

  it('lets a service with the scope into an /internal/ route; 401 without a token, 403 for users and other scopes', async () => {
    const call = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/internal/reservations', headers, payload: { n: 1 } });
    const ok = await call(bearer(service('cart:read stock:reserve')));
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json().scopes, ['cart:read', 'stock:reserve']);
    assert.equal((await call({})).statusCode, 401);
    for (const token of [sign(key), signClaims(key, { role: 'admin' }), service('cart:read')]) {
      const res = await call(bearer(token));
      assert.equal(res.statusCode, 403, res.body);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
  });

  it('reads only the Bearer scheme: another one (HTTP Basic) leaves the request anonymous, a malformed Bearer is a 401', async () => {
    const basic = { authorization: 'Basic Y2xpZW50OnNlY3JldA==' };
    assert.equal((await app.inject({ url: '/api/open', headers: basic })).json().identity, null);
    assert.equal((await app.inject({ url: '/api/mine', headers: basic })).statusCode, 401);
    assert.equal((await app.inject({ url: '/api/open', headers: { authorization: 'Bearer not-a-jwt' } })).statusCode, 401);
    assert.equal((await app.inject({ url: '/api/open', headers: { authorization: 'bearer' } })).statusCode, 401);
  });

  it('refuses service tokens on user routes unless the route opts in', async () => {
    assert.equal((await app.inject({ url: '/api/mine', headers: bearer(sign(key)) })).statusCode, 200);
    assert.equal((await app.inject({ url: '/api/mine', headers: bearer(service('stock:read')) })).statusCode, 403);
    assert.equal((await app.inject({ url: '/api/stock', headers: bearer(service('stock:read')) })).json().role, 'service');
    assert.equal((await app.inject({ url: '/api/stock', headers: bearer(service('cart:read')) })).statusCode, 403);
    assert.equal((await app.inject({ url: '/api/stock', headers: bearer(signClaims(key, { role: 'seller' })) })).statusCode, 200);
    assert.equal((await app.inject({ url: '/api/stock', headers: bearer(sign(key)) })).statusCode, 403);
    assert.equal((await app.inject({ url: '/api/stock' })).statusCode, 401);
  });

  it('hides /internal/ routes from the document and documents 401/403 with the bearer requirement elsewhere', () => {
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { security?: unknown; responses: Record<string, { description: string }> }>> };
    assert.deepEqual(Object.keys(doc.paths).filter((p) => p.startsWith('/internal')), []);
    for (const path of ['/api/mine', '/api/stock']) {
      const op = doc.paths[path]!.get!;
      assert.deepEqual(op.security, [{ bearer: [] }], path);
      assert.ok(op.responses['401'] && op.responses['403'], path);
    }
    assert.match(doc.paths['/api/stock']!.get!.responses['403']!.description, /seller, admin or services with the scope stock:read/);
  });

  it('refuses to register an /internal/ route without requireService', async () => {
    const { app: other } = await createService({
      name: 'auth-test-2', config: Type.Object({ ...baseConfig, PORT: portConfig(8099) }), env: { LOG_LEVEL: 'silent' },
    });
    try {
      await other.register(authPlugin, { jwksUrl: url });
      assert.throws(() => other.get('/internal/open', async () => ({})), /must carry requireService/);
      assert.throws(() => other.get('/internal/users', { preHandler: requireAuth('admin') }, async () => ({})), /must carry requireService/);
      assert.throws(() => other.get('/internal/either', { preHandler: requireAuth('admin').orService('x') }, async () => ({})), /must carry requireService/);
      other.get('/internal/fine', { preHandler: requireService() }, async () => ({}));
    } finally {
      await other.close();
    }
  });
});

// Service identity end to end inside the sso: clients registered with the CLI (real PostgreSQL), the client
// credentials grant at POST /api/auth/token (RFC 6749 §4.4, errors per §5.2 as problem+json), brute-force
// protection (real Redis), and the kit's ServiceTokens + requireService against the real sso and its JWKS.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { JWKS_PATH } from '@shop/contracts/auth';
import { ServiceTokens, TOKEN_PATH, Type, authPlugin, baseConfig, createService, portConfig, requireService, type App } from '@shop/kit';
import { CLIENT_THROTTLE_PREFIX, throttleKeys } from '../src/services/login-throttle.ts';
import { cli, decodeJwt, startApp, uniqueIp, type TestApp } from './helpers.ts';

interface Registered { clientId: string; clientSecret: string; name: string; scopes: string[] }
interface TokenAnswer { access_token: string; token_type: string; expires_in: number; scope: string }

let t: TestApp;
let base: string;
const counters = new Set<string>();
const MAX_FAILURES = 3;

before(async () => {
  t = await startApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: String(MAX_FAILURES), SERVICE_TOKEN_TTL_SECONDS: '120' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
after(async () => {
  if (counters.size > 0) await t.app.redis.del(...counters);
  await t.close();
});

const uniqueName = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

async function register(scopes = 'stock:reserve cart:read', label = 'test-client'): Promise<Registered> {
  const result = await cli(['register-client', '--name', uniqueName(label), '--scopes', scopes]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Registered;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A token request from an address of its own (so the per-IP counter is the test's), counted for clean-up. */
function token(options: { form?: Record<string, string> | string; json?: Record<string, unknown>; authorization?: string; account?: string; ip?: string }) {
  const ip = options.ip ?? uniqueIp();
  if (options.account) for (const key of Object.values(throttleKeys(options.account, ip, CLIENT_THROTTLE_PREFIX))) counters.add(key);
  const headers: Record<string, string> = options.authorization ? { authorization: options.authorization } : {};
  if (options.json) {
    return t.app.inject({ method: 'POST', url: TOKEN_PATH, headers, payload: options.json, remoteAddress: ip });
  }
  const form = typeof options.form === 'string' ? options.form : new URLSearchParams(options.form).toString();
  return t.app.inject({ method: 'POST', url: TOKEN_PATH, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: form, remoteAddress: ip });
}

const problemOf = (res: { statusCode: number; headers: Record<string, unknown>; json: <T>() => T }) => {
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  return res.json<{ status: number; error?: string; detail?: string }>();
};

describe('register-client and the client credentials grant', () => {
  it('prints the id and secret once, stores only a hash, and issues a service token by HTTP Basic', async () => {
    const client = await register();
    assert.deepEqual(client.scopes, ['stock:reserve', 'cart:read']);
    assert.match(client.clientSecret, /^[\w-]{43}$/);
    const row = await t.app.prisma.serviceClient.findUniqueOrThrow({ where: { id: client.clientId } });
    assert.match(row.secretHash, /^scrypt\$/);
    assert.ok(!row.secretHash.includes(client.clientSecret));

    const res = await token({ form: { grant_type: 'client_credentials' }, authorization: basic(client.clientId, client.clientSecret), account: client.clientId });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const answer = res.json<TokenAnswer>();
    assert.deepEqual({ ...answer, access_token: undefined }, { access_token: undefined, token_type: 'Bearer', expires_in: 120, scope: 'stock:reserve cart:read' });
    const { payload } = decodeJwt(answer.access_token);
    assert.equal(payload.role, 'service');
    assert.equal(payload.sub, client.clientId);
    assert.equal(payload.scope, 'stock:reserve cart:read');
    assert.equal(Number(payload.exp) - Number(payload.iat), 120);
  });

  it('takes the credentials in the body too, as a form or as JSON, and narrows to the asked scope', async () => {
    const client = await register();
    const form = await token({ form: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope: 'cart:read' }, account: client.clientId });
    assert.equal(form.statusCode, 200, form.body);
    assert.equal(form.json<TokenAnswer>().scope, 'cart:read');
    assert.equal(decodeJwt(form.json<TokenAnswer>().access_token).payload.scope, 'cart:read');
    const json = await token({ json: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }, account: client.clientId });
    assert.equal(json.statusCode, 200, json.body);
    // RFC 6749 §3.2: unknown parameters are ignored, empty ones count as omitted.
    const extra = await token({ form: `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.clientSecret}&scope=&audience=x`, account: client.clientId });
    assert.equal(extra.statusCode, 200, extra.body);
    assert.equal(extra.json<TokenAnswer>().scope, 'stock:reserve cart:read');
  });

  it('answers RFC 6749 error codes in problem+json: invalid_client (401 + Basic challenge), invalid_request, unsupported_grant_type, invalid_scope', async () => {
    const client = await register('cart:read');
    const good = { client_id: client.clientId, client_secret: client.clientSecret };
    const cases: [string, Parameters<typeof token>[0], number, string][] = [
      ['no credentials', { form: { grant_type: 'client_credentials' } }, 401, 'invalid_client'],
      ['a bearer token is not client authentication', { form: { grant_type: 'client_credentials' }, authorization: 'Bearer abc.def.ghi' }, 401, 'invalid_client'],
      ['wrong secret', { form: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'wrong' }, account: client.clientId }, 401, 'invalid_client'],
      ['unknown client', { form: { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' }, account: 'nobody' }, 401, 'invalid_client'],
      ['malformed Basic', { form: { grant_type: 'client_credentials' }, authorization: 'Basic ???' }, 401, 'invalid_client'],
      ['two methods', { form: { grant_type: 'client_credentials', ...good }, authorization: basic(client.clientId, client.clientSecret) }, 400, 'invalid_request'],
      ['no grant_type', { form: good }, 400, 'invalid_request'],
      ['a parameter twice', { form: `grant_type=client_credentials&client_id=${client.clientId}&client_id=${client.clientId}&client_secret=x` }, 400, 'invalid_request'],
      ['password grant', { form: { grant_type: 'password', ...good } }, 400, 'unsupported_grant_type'],
      ['malformed scope', { form: { grant_type: 'client_credentials', ...good, scope: 'Cart  read' } }, 400, 'invalid_scope'],
      ['a scope the client lacks', { json: { grant_type: 'client_credentials', ...good, scope: 'cart:read stock:reserve' }, account: client.clientId }, 400, 'invalid_scope'],
    ];
    const bare = await t.app.inject({ method: 'POST', url: TOKEN_PATH });
    assert.equal(bare.statusCode, 400, bare.body);
    assert.equal(problemOf(bare).error, 'invalid_request', 'no body at all');
    const text = await t.app.inject({ method: 'POST', url: TOKEN_PATH, headers: { 'content-type': 'text/plain' }, payload: 'grant_type=client_credentials' });
    assert.equal(text.statusCode, 415, text.body);
    assert.equal(problemOf(text).error, 'invalid_request', 'another media type');
    for (const [what, request, status, error] of cases) {
      const res = await token(request);
      assert.equal(res.statusCode, status, `${what}: ${res.body}`);
      const problem = problemOf(res);
      assert.equal(problem.error, error, what);
      assert.equal(problem.status, status, what);
      if (status === 401) assert.match(String(res.headers['www-authenticate']), /^Basic realm="shop-sso"/, what);
    }
  });

  it('rotate-client-secret: the old secret stops working, the new one works; disable-client: no more tokens', async () => {
    const client = await register();
    const rotated = await cli(['rotate-client-secret', '--client', client.name]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const { clientSecret, clientId } = JSON.parse(rotated.stdout) as Registered;
    assert.equal(clientId, client.clientId);
    assert.notEqual(clientSecret, client.clientSecret);
    const ip = uniqueIp();
    const ask = (secret: string) => token({ form: { grant_type: 'client_credentials' }, authorization: basic(clientId, secret), account: clientId, ip });
    assert.equal((await ask(client.clientSecret)).statusCode, 401);
    assert.equal((await ask(clientSecret)).statusCode, 200);

    const disabled = await cli(['disable-client', '--client', clientId]);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.ok(JSON.parse(disabled.stdout).disabledAt);
    assert.equal((await ask(clientSecret)).statusCode, 401);

    const unknown = await cli(['disable-client', '--client', 'no-such-client-anywhere']);
    assert.equal(unknown.code, 65);
    const taken = await cli(['register-client', '--name', client.name, '--scopes', 'a']);
    assert.equal(taken.code, 65);
    assert.match(taken.stderr, /exists/);
    assert.equal((await cli(['register-client', '--name', 'x'])).code, 64, '--scopes is required');
  });

  it('locks a client after repeated failures (429 + Retry-After, even for the right secret), like logins', async () => {
    const client = await register();
    const ip = uniqueIp();
    const ask = (secret: string, from = ip) => token({ form: { grant_type: 'client_credentials' }, authorization: basic(client.clientId, secret), account: client.clientId, ip: from });
    for (let i = 1; i <= MAX_FAILURES; i++) assert.equal((await ask(`wrong ${i}`)).statusCode, 401, `attempt ${i}`);
    const locked = await ask(client.clientSecret, uniqueIp());
    assert.equal(locked.statusCode, 429, locked.body);
    assert.ok(Number(locked.headers['retry-after']) > 0);
  });
});

describe('service tokens at work', () => {
  let resource: App;
  let resourceUrl: string;

  before(async () => {
    ({ app: resource } = await createService({
      name: 'resource', config: Type.Object({ ...baseConfig, PORT: portConfig(8099) }), env: { LOG_LEVEL: 'silent' },
    }));
    await resource.register(authPlugin, { jwksUrl: new URL(JWKS_PATH, base).toString() });
    resource.post('/internal/reserve', { schema: {}, preHandler: requireService('stock:reserve') }, async (request) => ({ client: request.identity!.id }));
    await resource.listen({ port: 0, host: '127.0.0.1' });
    resourceUrl = `http://127.0.0.1:${(resource.server.address() as AddressInfo).port}/internal/reserve`;
  });
  after(() => resource.close());

  it('ServiceTokens gets a token from the sso that a service verifies against the JWKS; a user token is refused', async () => {
    const client = await register('stock:reserve');
    const tokens = new ServiceTokens({ tokenUrl: new URL(TOKEN_PATH, base), clientId: client.clientId, clientSecret: client.clientSecret });
    const res = await tokens.fetch(resourceUrl, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { client: client.clientId });
    assert.equal(tokens.requests, 1);
    assert.equal((await tokens.fetch(resourceUrl, { method: 'POST' })).status, 200);
    assert.equal(tokens.requests, 1, 'the token is cached');

    const user = await t.newUser('svc-user');
    const login = await t.login(user.email);
    const userCall = await fetch(resourceUrl, { method: 'POST', headers: { authorization: `Bearer ${login.json<{ accessToken: string }>().accessToken}` } });
    assert.equal(userCall.status, 403);
  });

  it('a service token has no account: GET /api/auth/me answers 403', async () => {
    const client = await register('cart:read');
    const tokens = new ServiceTokens({ tokenUrl: new URL(TOKEN_PATH, base), clientId: client.clientId, clientSecret: client.clientSecret });
    const res = await t.me(await tokens.token());
    assert.equal(res.statusCode, 403, res.body);
  });
});

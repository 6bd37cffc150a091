// Service identity through the running stack: a client registered with the sso CLI gets a token at
// POST /api/auth/token through the proxy (HTTP Basic passes the gateway), the token is a service's and no
// account's, and the proxy never routes /internal/ (whoever asks, however).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { JWKS_PATH } from '@shop/contracts';
import { JwksVerifier, ServiceTokens, TOKEN_PATH } from '@shop/kit';
import { signUp } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const DATABASE_URL = process.env.DATABASE_URL_SSO ?? 'postgresql://shop:shop@127.0.0.1:5432/sso';
const root = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);

async function cli(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['sso/src/cli.ts', ...args], { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL } });
  return JSON.parse(stdout) as Record<string, unknown>;
}

let client: { clientId: string; clientSecret: string };
let userToken: string;

before(async () => {
  client = await cli('register-client', '--name', `e2e-${randomUUID()}`, '--scopes', 'e2e:read e2e:write') as typeof client;
  ({ token: userToken } = await signUp(SSO, { email: `svc-${randomUUID()}@test.example`, password: 'correct horse battery', name: 'E2E', role: 'customer' }));
});
after(async () => {
  await cli('disable-client', '--client', client.clientId);
});

describe('service tokens through the proxy', () => {
  it('issues a token for HTTP Basic client credentials, verifiable against the published keys', async () => {
    const tokens = new ServiceTokens({ tokenUrl: new URL(TOKEN_PATH, PROXY), clientId: client.clientId, clientSecret: client.clientSecret, scopes: ['e2e:read'] });
    const identity = await new JwksVerifier({ jwksUrl: new URL(JWKS_PATH, PROXY).toString() }).verify(await tokens.token());
    assert.deepEqual(identity.scopes, ['e2e:read']);
    assert.equal(identity.role, 'service');
    assert.equal(identity.id, client.clientId);
    // A service token has no account.
    const me = await fetch(`${PROXY}/api/auth/me`, { headers: { authorization: `Bearer ${await tokens.token()}` } });
    assert.equal(me.status, 403);
  });

  it('answers invalid_client (401, Basic challenge) for wrong credentials, as problem+json', async () => {
    const res = await fetch(`${PROXY}${TOKEN_PATH}`, {
      method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'wrong' }),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
  });
});

describe('the proxy never routes /internal/', () => {
  it('answers 404 for any method, with a service token, a user token or none', async () => {
    const serviceToken = await new ServiceTokens({ tokenUrl: new URL(TOKEN_PATH, SSO), clientId: client.clientId, clientSecret: client.clientSecret }).token();
    for (const path of ['/internal/reservations', '/internal/', '/internal/carts/x?y=1', '/internal%2Freservations']) {
      for (const [method, authorization] of [['GET', undefined], ['POST', `Bearer ${serviceToken}`], ['DELETE', `Bearer ${userToken}`], ['GET', `Bearer ${serviceToken}`]] as const) {
        const res = await fetch(`${PROXY}${path}`, {
          method, headers: { ...(authorization ? { authorization } : {}), ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
        assert.equal(res.status, 404, `${method} ${path} (${authorization ? 'token' : 'anonymous'})`);
        await res.body?.cancel();
      }
    }
  });
});

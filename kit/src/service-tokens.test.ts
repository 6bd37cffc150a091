// The ServiceTokens client against a real HTTP server speaking the client credentials grant (RFC 6749
// §4.4) and a resource that accepts only the tokens it says: caching, renewal before expiry, single
// flight, one retry on 401, errors. Against the sso itself: sso/test/service-clients.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ServiceTokenError, ServiceTokens } from './service-tokens.ts';

let server: Server;
let base: string;
/** What the token endpoint received, one entry per request. */
let requests: { authorization?: string; body: URLSearchParams }[] = [];
let issued: string[] = [];
/** Tokens the resource accepts (a revoked one is removed). */
const valid = new Set<string>();
let expiresIn = 300;
/** The resource refuses every token. */
let refuseAll = false;
let failWith: { status: number; body: unknown } | undefined;
/** Answers of the token endpoint wait for this (single-flight test). */
let gate: Promise<void> = Promise.resolve();

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

before(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.url === '/api/auth/token') {
      requests.push({ authorization: req.headers.authorization, body: new URLSearchParams(body) });
      await gate;
      res.setHeader('content-type', 'application/json');
      if (failWith) {
        res.statusCode = failWith.status;
        return res.end(JSON.stringify(failWith.body));
      }
      const token = `t-${randomUUID()}`;
      issued.push(token);
      valid.add(token);
      const scope = new URLSearchParams(body).get('scope') ?? 'stock:reserve cart:read';
      return res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope }));
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    res.statusCode = token && valid.has(token) && !refuseAll ? 200 : 401;
    res.end(JSON.stringify({ token, body }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests = [];
  issued = [];
  valid.clear();
  expiresIn = 300;
  refuseAll = false;
  failWith = undefined;
  gate = Promise.resolve();
});

const client = (extra: Partial<ConstructorParameters<typeof ServiceTokens>[0]> = {}) =>
  new ServiceTokens({ tokenUrl: `${base}/api/auth/token`, clientId: 'loms client', clientSecret: 's3cr:t&', ...extra });

describe('ServiceTokens', () => {
  it('asks with the client credentials grant and HTTP Basic (form-encoded id and secret), then caches the token', async () => {
    const tokens = client({ scopes: ['stock:reserve'] });
    const first = await tokens.token();
    assert.equal(await tokens.token(), first);
    assert.equal(requests.length, 1);
    const [request] = requests;
    assert.equal(request!.body.get('grant_type'), 'client_credentials');
    assert.equal(request!.body.get('scope'), 'stock:reserve');
    const [id, secret] = Buffer.from(request!.authorization!.replace(/^Basic /, ''), 'base64').toString().split(':');
    assert.deepEqual([decodeURIComponent(id!.replace(/\+/g, ' ')), decodeURIComponent(secret!)], ['loms client', 's3cr:t&']);
    assert.deepEqual(tokens.scopes, ['stock:reserve']);
  });

  it('shares one request among concurrent callers', async () => {
    let open!: () => void;
    gate = new Promise((resolve) => { open = resolve; });
    const tokens = client();
    const waiting = Array.from({ length: 20 }, () => tokens.token());
    open();
    const got = await Promise.all(waiting);
    assert.equal(new Set(got).size, 1);
    assert.equal(requests.length, 1);
  });

  it('renews shortly before expiry (margin, or half the lifetime when that comes first)', async () => {
    let now = 1_000_000;
    const tokens = client({ now: () => now, refreshMarginSeconds: 30 });
    const first = await tokens.token();
    now += 269_000;
    assert.equal(await tokens.token(), first, 'still 31 s left of 300');
    now += 1_000;
    const second = await tokens.token();
    assert.notEqual(second, first, 'renewed 30 s before expiry');
    expiresIn = 40;
    tokens.invalidate();
    const short = await tokens.token();
    now += 19_000;
    assert.equal(await tokens.token(), short);
    now += 1_000;
    assert.notEqual(await tokens.token(), short, 'a 40 s token is renewed after half of it');
  });

  it('fetches a new token once when the callee answers 401, and gives up after the second 401', async () => {
    const tokens = client();
    const first = await tokens.token();
    valid.delete(first); // revoked, or signed with a key the callee no longer trusts
    const res = await tokens.fetch(`${base}/internal/thing`, { method: 'POST', body: 'hello' });
    assert.equal(res.status, 200);
    const answer = await res.json() as { token: string; body: string };
    assert.equal(answer.body, 'hello', 'the body is sent again');
    assert.equal(answer.token, issued[1]);
    assert.equal(requests.length, 2);

    refuseAll = true; // the callee refuses every token: one retry, then the 401 is the answer
    const refused = await tokens.fetch(`${base}/internal/thing`);
    assert.equal(refused.status, 401);
    assert.equal(requests.length, 3);
  });

  it('reports the token endpoint\'s error code and does not cache a failure', async () => {
    failWith = { status: 401, body: { type: 'urn:shop:problem:invalid-client', title: 'Unauthorized', status: 401, error: 'invalid_client', detail: 'unknown client' } };
    const tokens = client();
    await assert.rejects(tokens.token(), (err: unknown) => err instanceof ServiceTokenError && err.status === 401 && err.error === 'invalid_client' && /unknown client/.test(err.message));
    failWith = undefined;
    assert.match(await tokens.token(), /^t-/);
    assert.equal(requests.length, 2);
  });

  it('fails clearly when the token endpoint is unreachable or answers something else', async () => {
    await assert.rejects(client({ tokenUrl: 'http://127.0.0.1:9/api/auth/token', timeoutMs: 500 }).token(), (err: unknown) => err instanceof ServiceTokenError && /unreachable/.test(err.message));
    failWith = { status: 200, body: { token_type: 'Bearer' } };
    await assert.rejects(client().token(), /without a bearer access_token/);
  });
});

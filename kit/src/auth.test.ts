// The JWKS verifier against a real HTTP server publishing a key set that the test changes: a key
// published after the verifier's last fetch is accepted (never refused during a cooldown), and a
// storm of tokens with made-up kids costs at most one fetch per interval.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '@shop/contracts';
import { JwksVerifier, TokenError } from './auth.ts';

interface TestKey { kid: string; privateKey: KeyObject; jwk: Record<string, unknown> }

function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

const sign = (key: TestKey, kid = key.kid) => jwt.sign({ role: 'customer', jti: randomUUID() }, key.privateKey, {
  algorithm: 'ES256', keyid: kid, issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, subject: randomUUID(), expiresIn: 60,
});

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

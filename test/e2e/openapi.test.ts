// The merged OpenAPI document tells the truth, checked by an independent fuzzer: Schemathesis (pinned,
// installed by ./make.sh test into a virtual environment) runs every check against the proxy with a
// customer's and a seller's token, a fixed seed and a bounded number of examples per operation, and
// any failure of any check fails this test. Cross-field rules JSON Schema cannot state are in the
// committed allowlist (test/openapi/allowlist.py); nothing else is excluded. A service added later is
// covered without new test code: the proxy merges its document.
//
// The run goes through a second instance of the real proxy (same code and upstreams as :8080) whose
// rate limit is raised: ~1,500 requests a run would otherwise be mostly 429s, which hides the rest.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CLIENT_THROTTLE_PREFIX, LOGIN_THROTTLE_PREFIX } from '../../sso/src/services/login-throttle.ts';
import { freePort, signUp, waitFor } from '../support.ts';

const root = new URL('../..', import.meta.url).pathname;
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const SEED = '20261202';
const EXAMPLES = '15';

function schemathesisBin(): string {
  const bin = process.env.SCHEMATHESIS_BIN;
  assert.ok(bin && existsSync(bin), `Schemathesis is installed by ./make.sh test (SCHEMATHESIS_BIN=${bin ?? 'unset'})`);
  return bin;
}

let proxy: ChildProcess;
let base: string;

/**
 * The fuzzer's failed sign-ins and client authentications all come from 127.0.0.1 (the proxy's view of
 * this machine), so they fill the sso's per-address throttle counters that every later test signing
 * in through the proxy shares. They are put back as they were after the run.
 */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
const THROTTLED = [LOGIN_THROTTLE_PREFIX, CLIENT_THROTTLE_PREFIX].map((prefix) => `${prefix}:ip:127.0.0.1`);
let counters: { key: string; value: string | null; pttl: number }[] = [];

before(async () => {
  await redis.connect();
  counters = await Promise.all(THROTTLED.map(async (key) => ({ key, value: await redis.get(key), pttl: await redis.pttl(key) })));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const url = 'http://127.0.0.1';
  proxy = spawn(process.execPath, [join(root, 'proxy/src/main.ts')], {
    env: {
      PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '1000000',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      SSO_URL: SSO, ITEM_CRUD_URL: `${url}:8082`, ITEM_ETL_URL: `${url}:8083`, SEARCH_URL: `${url}:8084`, FACADE_URL: `${url}:8085`,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Every service's document is in the merged one (it says which are missing otherwise).
  await waitFor('the merged OpenAPI document with every service', async () => {
    const res = await fetch(`${base}/docs/openapi.json`);
    if (!res.ok) return false;
    const doc = await res.json() as { info: { description?: string }; paths: Record<string, unknown> };
    return doc.info.description === undefined && Object.keys(doc.paths).length > 0;
  }, 60_000, 250);
});

after(async () => {
  proxy?.kill('SIGTERM');
  for (const { key, value, pttl } of counters) {
    if (value === null) await redis.del(key);
    else if (pttl > 0) await redis.set(key, value, 'PX', pttl);
    else await redis.set(key, value);
  }
  redis.disconnect();
});

async function fuzz(role: 'customer' | 'seller'): Promise<string> {
  const password = 'correct horse battery';
  const email = `openapi-${role}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@test.example`;
  const { token } = await signUp(SSO, { email, password, name: `OpenAPI ${role}`, role });
  const args = [
    '--config-file', join(root, 'test/openapi/schemathesis.toml'),
    'run', `${base}/docs/openapi.json`,
    '--checks', 'all', '-H', `Authorization: Bearer ${token}`,
    // One worker: with several threads, CPython 3.11's ast.parse (Hypothesis describes its filters with
    // it) can fail with "AST constructor recursion depth mismatch" (gh-106905), a runtime error of the tool.
    '--seed', SEED, '--max-examples', EXAMPLES, '--generation-database', 'none', '--workers', '1', '--no-color',
  ];
  const child = spawn(schemathesisBin(), args, {
    cwd: root,
    env: {
      ...process.env, PYTHONPATH: join(root, 'test/openapi'), SCHEMATHESIS_HOOKS: 'allowlist',
      SHOP_OPENAPI_BASE_URL: base, SHOP_OPENAPI_AUTHORIZATION: `Bearer ${token}`,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const summary = output.slice(output.lastIndexOf('SUMMARY'));
  console.log(`schemathesis (${role}):\n${summary}`);
  assert.equal(code, 0, `Schemathesis found failures with a ${role}'s token:\n${output.slice(-12_000)}`);
  assert.match(summary, /Tested: \d+/);
  return summary;
}

describe('the merged OpenAPI document, fuzzed by Schemathesis through the proxy', () => {
  it('holds for a customer: every check, no failure', { timeout: 600_000 }, async () => {
    await fuzz('customer');
  });

  it('holds for a seller: every check, no failure', { timeout: 600_000 }, async () => {
    await fuzz('seller');
  });
});

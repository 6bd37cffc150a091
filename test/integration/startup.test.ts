// Every service refuses to start on a bad configuration, naming the variable, before touching anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;

describe('fail-fast configuration', () => {
  for (const [service, variable] of [['sso', 'DATABASE_URL'], ['item-crud', 'KAFKA_BROKERS'], ['search', 'ELASTICSEARCH_URL'], ['proxy', 'SSO_URL']] as const) {
    it(`${service} exits with a message naming ${variable} when it is missing`, () => {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PORT: 'not-a-port' };
      const result = spawnSync(process.execPath, [`${service}/src/main.ts`], { cwd: root, env, encoding: 'utf8', timeout: 20_000 });
      assert.equal(result.status, 78, result.stderr);
      assert.match(result.stderr, new RegExp(`Invalid configuration for ${service}`));
      assert.match(result.stderr, new RegExp(`${variable} is required but not set`));
      assert.match(result.stderr, /PORT: .*"not-a-port"/);
      assert.doesNotMatch(result.stderr, /at loadConfig/, 'no stack trace for a configuration error');
    });
  }
});

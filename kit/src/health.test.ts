import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthChecks } from './health.ts';

describe('HealthChecks', () => {
  it('is ready when every check passes; a removed check no longer counts', async () => {
    const checks = new HealthChecks(100);
    checks.add('db', async () => undefined);
    checks.add('cache', async () => {
      throw new Error('down');
    });
    const before = await checks.run();
    assert.equal(before.ready, false);
    assert.equal(before.checks.cache!.status, 'down');
    checks.remove('cache');
    const after = await checks.run();
    assert.equal(after.ready, true);
    assert.deepEqual(Object.keys(after.checks), ['db']);
  });
});

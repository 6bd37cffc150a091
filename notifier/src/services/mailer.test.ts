import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskEmail } from './mailer.ts';

describe('addresses in logs', () => {
  it('keeps the first character and the domain only', () => {
    assert.equal(maskEmail('test.testov@gmail.com'), 't***@gmail.com');
    assert.equal(maskEmail('a@b.example'), 'a***@b.example');
    assert.equal(maskEmail('weird"@"quoted@x.example'), 'w***@x.example');
    assert.equal(maskEmail('@nolocal.example'), '***');
    assert.equal(maskEmail('no-at-sign'), '***');
  });
});

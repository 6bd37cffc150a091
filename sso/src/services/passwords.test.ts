import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashPassword, passwordProblems, verifyPassword } from './passwords.ts';

describe('password hashing', () => {
  it('makes a self-describing scrypt string with a random salt', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
  });

  it('verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery');
    assert.deepEqual(await verifyPassword('correct horse battery', stored), { ok: true, needsRehash: false });
    assert.equal((await verifyPassword('correct horse batterY', stored)).ok, false);
    assert.equal((await verifyPassword('', stored)).ok, false);
  });

  it('verifies hashes made with other parameters and asks for a rehash', async () => {
    const salt = randomBytes(16);
    const hash = scryptSync('old password', salt, 64, { N: 1024, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString('base64url')}$${hash.toString('base64url')}`;
    assert.deepEqual(await verifyPassword('old password', stored), { ok: true, needsRehash: true });
    assert.deepEqual(await verifyPassword('wrong password', stored), { ok: false, needsRehash: false });
  });

  it('treats malformed or absurd stored hashes as a mismatch', async () => {
    for (const stored of ['', 'plain', 'bcrypt$x', 'scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'scrypt$4194304$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      assert.equal((await verifyPassword('x', stored)).ok, false, stored);
    }
  });

  it('compares Unicode passwords in NFKC form', async () => {
    const stored = await hashPassword('caf\u00e9 au lait');
    assert.equal((await verifyPassword('cafe\u0301 au lait', stored)).ok, true);
  });
});

describe('password policy', () => {
  it('wants 8..128 characters, not the email', () => {
    assert.deepEqual(passwordProblems('long enough', 'a@b.c'), []);
    assert.match(passwordProblems('short', 'a@b.c')[0]?.message ?? '', /at least 8/);
    assert.match(passwordProblems('x'.repeat(129), 'a@b.c')[0]?.message ?? '', /at most 128/);
    assert.match(passwordProblems(' Ann@Example.com', 'ann@example.com')[0]?.message ?? '', /email/);
    assert.deepEqual(passwordProblems('\u{1F600}'.repeat(8), 'a@b.c'), [], 'counts characters, not UTF-16 units');
  });
});

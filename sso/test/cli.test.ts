// The operator CLI: create-admin (password from ADMIN_PASSWORD or stdin, never argv) against the real database.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PASSWORD, cli, decodeJwt, startApp, uniqueEmail, type LoginResult, type TestApp } from './helpers.ts';

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(async () => {
  await t.close();
});

async function assertAdminLogin(email: string, password: string): Promise<LoginResult> {
  const res = await t.login(email, password);
  assert.equal(res.statusCode, 200, res.body);
  const pair = res.json<LoginResult>();
  assert.equal(decodeJwt(pair.accessToken).payload.role, 'admin');
  const me = await t.me(pair.accessToken);
  assert.equal(me.json<{ role: string }>().role, 'admin');
  return pair;
}

describe('cli create-admin', () => {
  it('creates an admin with the password from ADMIN_PASSWORD, who can then log in as admin', async () => {
    const email = uniqueEmail('admin-env');
    const result = await cli(['create-admin', '--email', email, '--name', 'Root Admin'], { env: { ADMIN_PASSWORD: 'admin password 1' } });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual({ ...JSON.parse(result.stdout), id: undefined }, { id: undefined, email, role: 'admin', created: true });
    await assertAdminLogin(email, 'admin password 1');
  });

  it('reads the password from stdin when ADMIN_PASSWORD is not set', async () => {
    const email = uniqueEmail('admin-stdin');
    const result = await cli(['create-admin', '--email', email.toUpperCase(), '--name', 'Stdin Admin'], { stdin: 'admin password 2\n' });
    assert.equal(result.code, 0, result.stderr);
    await assertAdminLogin(email, 'admin password 2');
  });

  it('promotes an existing account (password unchanged); its next refresh carries the admin role', async () => {
    const { email } = await t.newUser('promote');
    const session = (await t.login(email)).json<LoginResult>();
    const result = await cli(['create-admin', '--email', email, '--name', 'Ignored'], { env: { ADMIN_PASSWORD: 'some other password' } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).created, false);
    await assertAdminLogin(email, PASSWORD);
    const refreshed = (await t.refresh(session.refreshToken)).json<LoginResult>();
    assert.equal(decodeJwt(refreshed.accessToken).payload.role, 'admin');
  });

  it('refuses a password on the command line, a weak password and a missing email', async () => {
    const email = uniqueEmail('admin-bad');
    const argv = await cli(['create-admin', '--email', email, '--name', 'A', '--password', 'admin password 3']);
    assert.equal(argv.code, 64, argv.stderr);
    const weak = await cli(['create-admin', '--email', email, '--name', 'A'], { env: { ADMIN_PASSWORD: 'short' } });
    assert.equal(weak.code, 65, weak.stderr);
    assert.match(weak.stderr, /at least 8 characters/);
    const noEmail = await cli(['create-admin', '--name', 'A'], { env: { ADMIN_PASSWORD: 'admin password 3' } });
    assert.equal(noEmail.code, 64);
    assert.equal((await t.login(email, 'admin password 3')).statusCode, 401, 'nothing was created');
  });

  it('names a missing DATABASE_URL and exits 78', async () => {
    const result = await cli(['rotate-key'], { baseEnv: {} });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /DATABASE_URL is required/);
  });
});

// What the integration and end-to-end suites of every service share: polling for an eventual state
// and signing users up at the running sso. (Not a test file: the runner only picks up *.test.ts.)
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value (returned), failing after `timeoutMs` with the last value or error. */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 15_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await sleep(intervalMs);
  }
}

/**
 * A client address of this test process: the sso trusts X-Forwarded-For from loopback (it sits behind
 * the proxy), so our sign-ins are not throttled by failed ones other suites made from 127.0.0.1.
 */
const CLIENT_IP = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** A JSON POST to the running sso from this process's client address; throws on a non-2xx answer. */
export async function ssoPost<T>(ssoUrl: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${ssoUrl}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': CLIENT_IP }, body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`sso ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Registers a user at the running sso and signs in: its id and access token. */
export async function signUp(ssoUrl: string, user: { email: string; password: string; name: string; role: 'customer' | 'seller' }): Promise<{ id: string; token: string }> {
  const { id } = await ssoPost<{ id: string }>(ssoUrl, '/api/auth/register', user);
  const { accessToken } = await ssoPost<{ accessToken: string }>(ssoUrl, '/api/auth/login', { email: user.email, password: user.password });
  return { id, token: accessToken };
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (for a service started by a test). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

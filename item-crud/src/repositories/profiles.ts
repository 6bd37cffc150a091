/** The sso as a source of display names: `GET /api/auth/me` with the caller's own access token. */
export class ProfileClient {
  readonly #meUrl: string;
  readonly #timeoutMs: number;
  constructor(ssoUrl: string, timeoutMs = 2_000) {
    this.#meUrl = new URL('/api/auth/me', ssoUrl).toString();
    this.#timeoutMs = timeoutMs;
  }

  /** The caller's `{id, name}` as the sso knows it; throws on any failure (the caller decides the fallback). */
  async me(accessToken: string): Promise<{ id: string; name: string }> {
    const res = await fetch(this.#meUrl, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    if (!res.ok) throw new Error(`sso /api/auth/me answered ${res.status}`);
    const body = (await res.json()) as { id?: unknown; name?: unknown };
    if (typeof body.id !== 'string' || typeof body.name !== 'string') throw new Error('sso /api/auth/me answered without id and name');
    return { id: body.id, name: body.name };
  }
}

// The client side of service identity: a service calling another one directly (never through the
// proxy) presents an access token that the sso issued to its registered client (OAuth 2.0 client
// credentials grant, RFC 6749 §4.4), from `POST /api/auth/token`.
import { formatScope } from '@shop/contracts';

/** Where the sso answers the client credentials grant. */
export const TOKEN_PATH = '/api/auth/token';

export interface ServiceTokensOptions {
  /** The token endpoint, e.g. `new URL(TOKEN_PATH, cfg.SSO_URL)`. */
  tokenUrl: string | URL;
  clientId: string;
  clientSecret: string;
  /** Scopes to ask for (a subset of the client's); none: everything the client was registered with. */
  scopes?: readonly string[];
  /**
   * A token is renewed this long before it expires (default 30 s), or at half its lifetime when that
   * comes first, so a token handed out still has time to travel and be verified (5 s skew there).
   */
  refreshMarginSeconds?: number;
  /** Timeout of one token request (default 5 s). */
  timeoutMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** The token endpoint refused or failed; `error` is the RFC 6749 §5.2 code when it sent one. */
export class ServiceTokenError extends Error {
  readonly status: number | undefined;
  readonly error: string | undefined;
  constructor(message: string, status?: number, error?: string) {
    super(message);
    this.name = 'ServiceTokenError';
    this.status = status;
    this.error = error;
  }
}

interface Cached {
  token: string;
  scopes: string[];
  /** When to stop handing it out (ms since the epoch). */
  renewAt: number;
}

/** `application/x-www-form-urlencoded` of one value, as RFC 6749 §2.3.1 wants for the Basic credentials. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/**
 * Access tokens for outgoing service-to-service calls: fetched with the client credentials grant,
 * cached until shortly before they expire, one request at a time however many callers wait (single
 * flight), and fetched anew once when the callee answers 401 (a key rotation, a token revoked).
 *
 * ```ts
 * const tokens = new ServiceTokens({ tokenUrl: new URL(TOKEN_PATH, cfg.SSO_URL), clientId: cfg.SERVICE_CLIENT_ID,
 *   clientSecret: cfg.SERVICE_CLIENT_SECRET, scopes: ['stock:reserve'] });
 * const res = await tokens.fetch(new URL('/internal/reservations', cfg.ITEM_CRUD_URL), { method: 'POST', body: JSON.stringify(r),
 *   headers: { 'content-type': 'application/json' } });
 * ```
 */
export class ServiceTokens {
  readonly #options: Required<Omit<ServiceTokensOptions, 'scopes'>> & { scopes: readonly string[] };
  #cached: Cached | undefined;
  #inflight: Promise<Cached> | undefined;
  /** Token requests sent (tests and metrics read it). */
  requests = 0;

  constructor(options: ServiceTokensOptions) {
    this.#options = { scopes: [], refreshMarginSeconds: 30, timeoutMs: 5_000, now: Date.now, ...options };
  }

  /** A valid access token: the cached one, or a new one (callers arriving meanwhile share the request). */
  async token(): Promise<string> {
    const cached = this.#cached;
    if (cached && this.#options.now() < cached.renewAt) return cached.token;
    return (await this.#renew()).token;
  }

  /** The scopes the current token was granted (after a first `token()`). */
  get scopes(): string[] {
    return [...(this.#cached?.scopes ?? [])];
  }

  /** Forgets `token` (when it is the cached one), so the next `token()` asks the sso again. */
  invalidate(token?: string): void {
    if (token === undefined || this.#cached?.token === token) this.#cached = undefined;
  }

  /**
   * `fetch` with `Authorization: Bearer <token>`. A 401 answer invalidates that token and the request is
   * sent once more with a fresh one; a second 401 is returned as is. Bodies must be replayable
   * (a string, a Buffer, URLSearchParams — not a stream).
   */
  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const send = async (token: string) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    };
    const token = await this.token();
    const first = await send(token);
    if (first.status !== 401) return first;
    await first.body?.cancel();
    this.invalidate(token);
    return send(await this.token());
  }

  #renew(): Promise<Cached> {
    this.#inflight ??= this.#request().then((cached) => {
      this.#cached = cached;
      return cached;
    }).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #request(): Promise<Cached> {
    const { tokenUrl, clientId, clientSecret, scopes, refreshMarginSeconds, timeoutMs, now } = this.#options;
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scopes.length > 0) body.set('scope', formatScope(scopes));
    const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
    this.requests += 1;
    const sentAt = now();
    let res: Response;
    try {
      res = await fetch(tokenUrl, {
        method: 'POST', body, signal: AbortSignal.timeout(timeoutMs),
        headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
      });
    } catch (err) {
      throw new ServiceTokenError(`the token endpoint ${String(tokenUrl)} is unreachable: ${(err as Error).message}`);
    }
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const code = typeof answer.error === 'string' ? answer.error : undefined;
      const detail = typeof answer.detail === 'string' ? answer.detail : typeof answer.error_description === 'string' ? answer.error_description : '';
      throw new ServiceTokenError(`the token endpoint answered ${res.status}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`, res.status, code);
    }
    const { access_token: token, token_type: type, expires_in: expiresIn, scope } = answer;
    if (typeof token !== 'string' || token === '' || typeof type !== 'string' || type.toLowerCase() !== 'bearer'
      || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
      throw new ServiceTokenError('the token endpoint answered without a bearer access_token and expires_in', res.status);
    }
    // RFC 6749 §5.1: scope may be left out when it is the one asked for.
    const granted = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [...scopes];
    // Counted from when the request was sent: the token's clock started no earlier than that.
    const lifetimeMs = Math.max(expiresIn * 1000 - refreshMarginSeconds * 1000, (expiresIn * 1000) / 2);
    return { token, scopes: granted, renewAt: sentAt + lifetimeMs };
  }
}

import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import jwt from 'jsonwebtoken';
import {
  ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, AccessTokenClaims, type Identity, type Role,
} from '@shop/contracts';
import { HttpProblem, forbidden, unauthorized } from './errors.ts';
import { problem } from './openapi.ts';

const claimsCheck = TypeCompiler.Compile(AccessTokenClaims);

export class TokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TokenError';
  }
}

export interface JwksVerifierOptions {
  jwksUrl: string;
  /**
   * Keys are refetched in the background after this long. The sso publishes a new key
   * SIGNING_KEY_PUBLISH_SECONDS (default 90 s) before it signs with it, which must stay longer than this.
   */
  cacheTtlMs?: number;
  /**
   * Fetches happen at most this often. A token with an unknown `kid` waits for the next fetch (one
   * shared by every such token) instead of being refused, so a flood of made-up kids costs the sso
   * at most one fetch per interval and a real new key is never refused.
   */
  minRefetchIntervalMs?: number;
  fetchTimeoutMs?: number;
}

/** The JWKS cache lifetime verifiers use by default (the sso's `Cache-Control: max-age` says the same). */
export const JWKS_CACHE_TTL_MS = 60_000;

/**
 * Verifies access tokens locally against the sso's JWKS: the algorithm is pinned, `iss`, `aud`,
 * `exp` and the claim shapes are checked, and keys are cached and refetched on an unknown `kid`.
 */
export class JwksVerifier {
  readonly #options: Required<JwksVerifierOptions>;
  #keys = new Map<string, KeyObject>();
  #fetchedAt = 0;
  /** When the latest fetch started (successful or not). */
  #lastAttempt = 0;
  #inflight: Promise<void> | undefined;
  #scheduled: Promise<void> | undefined;
  /** Tokens already verified, until they expire: an ES256 check per request costs more than the rest. */
  readonly #verified = new Map<string, { identity: Identity; exp: number }>();
  static readonly CACHE_SIZE = 10_000;
  /** How many JWKS fetches were started (tests and metrics read it). */
  fetches = 0;

  constructor(options: JwksVerifierOptions) {
    this.#options = { cacheTtlMs: JWKS_CACHE_TTL_MS, minRefetchIntervalMs: 1_000, fetchTimeoutMs: 2_000, ...options };
  }

  async #refresh(): Promise<void> {
    this.#inflight ??= (async () => {
      this.#lastAttempt = Date.now();
      this.fetches += 1;
      const res = await fetch(this.#options.jwksUrl, { signal: AbortSignal.timeout(this.#options.fetchTimeoutMs) });
      if (!res.ok) throw new Error(`JWKS fetch answered ${res.status}`);
      const { keys } = (await res.json()) as { keys: (JsonWebKey & { kid?: string; alg?: string })[] };
      const next = new Map<string, KeyObject>();
      for (const jwk of keys ?? []) {
        if (!jwk.kid || (jwk.alg && jwk.alg !== ACCESS_TOKEN_ALGORITHM)) continue;
        next.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
      }
      // A key that disappeared (revoked) must not keep vouching for tokens it signed.
      if ([...this.#keys.keys()].some((kid) => !next.has(kid))) this.#verified.clear();
      this.#keys = next;
      this.#fetchedAt = Date.now();
    })().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /**
   * Resolves once a fetch that started at or after `since` has finished: the one in flight if it
   * started late enough, else the next one, which waits for the interval and is shared by all callers.
   */
  async #fetchStartedAfter(since: number): Promise<void> {
    for (;;) {
      const inflight = this.#inflight;
      if (inflight && this.#lastAttempt >= since) return inflight;
      if (inflight) {
        await inflight.catch(() => undefined);
        continue;
      }
      if (this.#lastAttempt >= since) return; // it finished while we waited for the previous one
      this.#scheduled ??= (async () => {
        const wait = this.#lastAttempt + this.#options.minRefetchIntervalMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
        await (this.#inflight ?? this.#refresh());
      })().finally(() => {
        this.#scheduled = undefined;
      });
      return this.#scheduled;
    }
  }

  async #key(kid: string): Promise<KeyObject | undefined> {
    const seenAt = Date.now();
    if (this.#fetchedAt === 0) await this.#fetchStartedAfter(seenAt);
    else if (seenAt - this.#fetchedAt > this.#options.cacheTtlMs) void this.#refresh().catch(() => undefined);
    const key = this.#keys.get(kid);
    if (key) return key;
    // Not in the set we hold: the sso may have published it after our last fetch. Wait for a fetch
    // that started after this token arrived (shared, at most one per interval), then decide.
    await this.#fetchStartedAfter(seenAt);
    return this.#keys.get(kid);
  }

  /** Loads the keys now (so the first request does not wait); failures are retried later. */
  async warmUp(): Promise<void> {
    await this.#refresh().catch(() => undefined);
  }

  async verify(token: string): Promise<Identity> {
    const hit = this.#verified.get(token);
    if (hit && hit.exp * 1000 > Date.now()) return hit.identity;
    if (hit) this.#verified.delete(token);
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new TokenError('malformed token');
    if (decoded.header.alg !== ACCESS_TOKEN_ALGORITHM) throw new TokenError(`algorithm ${decoded.header.alg} is not accepted`);
    const kid = decoded.header.kid;
    if (!kid) throw new TokenError('token has no kid');
    let key: KeyObject | undefined;
    try {
      key = await this.#key(kid);
    } catch (err) {
      throw new HttpProblem(503, `signing keys are unavailable: ${(err as Error).message}`);
    }
    if (!key) throw new TokenError('unknown signing key');
    let payload: unknown;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [ACCESS_TOKEN_ALGORITHM], issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, clockTolerance: 5,
      });
    } catch (err) {
      throw new TokenError((err as Error).message);
    }
    if (!claimsCheck.Check(payload)) throw new TokenError('token claims are malformed');
    const identity: Identity = { id: payload.sub, role: payload.role, tokenId: payload.jti };
    if (this.#verified.size >= JwksVerifier.CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, { identity, exp: payload.exp });
    return identity;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or null for an anonymous request. Never taken from other headers. */
    identity: Identity | null;
  }
  interface FastifyInstance {
    verifier: JwksVerifier;
  }
}

/** Reads `Authorization: Bearer` on every request; a present but invalid token is a 401. */
export const authPlugin = fp<JwksVerifierOptions>(
  async (app, options) => {
    const verifier = new JwksVerifier(options);
    app.decorate('verifier', verifier);
    app.decorateRequest('identity', null);
    app.addHook('onReady', async () => verifier.warmUp());
    // The document says it: any route answers 401 to an invalid token, and a route behind
    // requireAuth(...roles) 403 to a caller without one of the roles.
    app.addHook('onRoute', (route) => {
      const schema = route.schema as { hide?: boolean; response?: Record<string, unknown>; security?: unknown } | undefined;
      if (!schema || schema.hide) return;
      const responses = (schema.response ??= {});
      responses[401] ??= problem(401);
      const guards = [route.onRequest, route.preValidation, route.preHandler].flat().filter(Boolean) as { requiredRoles?: Role[] }[];
      const guard = guards.find((g) => g.requiredRoles !== undefined);
      if (guard) {
        schema.security ??= [{ bearer: [] }];
        if (guard.requiredRoles!.length > 0) responses[403] ??= problem(403, `Only ${guard.requiredRoles!.join(', ')} may do this`);
      }
    });
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      if (header === undefined) return;
      const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/i.exec(header.trim());
      if (!match) throw unauthorized('the Authorization header must be "Bearer <access token>"');
      try {
        request.identity = await verifier.verify(match[1]!);
      } catch (err) {
        if (err instanceof TokenError) throw unauthorized(`invalid access token: ${err.message}`);
        throw err;
      }
    });
  },
  { name: 'auth' },
);

/** preHandler: the route needs a signed-in caller, optionally with one of `roles`. */
export function requireAuth(...roles: Role[]) {
  const guard = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (!request.identity) throw unauthorized();
    if (roles.length > 0 && !roles.includes(request.identity.role)) {
      throw forbidden(`this needs one of the roles: ${roles.join(', ')}`);
    }
  };
  // Read by the auth plugin's onRoute hook to document 401/403 and the bearer requirement.
  return Object.assign(guard, { requiredRoles: roles });
}

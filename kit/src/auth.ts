import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import jwt from 'jsonwebtoken';
import {
  ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, AccessTokenClaims, SERVICE_ROLE, identityOf, type Identity, type Role,
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
    const identity = identityOf(payload);
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

/** Routes under this prefix are service-to-service only: never routed by the proxy, never in the public document. */
export const INTERNAL_PREFIX = '/internal/';

/** What a guard tells the auth plugin's onRoute hook (documentation and the /internal/ rule). */
interface GuardInfo {
  /** requireAuth: the account roles let in ([] = any signed-in user). */
  requiredRoles?: Role[];
  /** requireService (or requireAuth(...).orService): the scopes a service token needs, all of them. */
  requiredScopes?: string[];
}

function guardsOf(route: { onRequest?: unknown; preValidation?: unknown; preHandler?: unknown }): GuardInfo[] {
  return [route.onRequest, route.preValidation, route.preHandler].flat().filter(Boolean) as GuardInfo[];
}

/** Reads `Authorization: Bearer` on every request; a present but invalid token is a 401 (other schemes are ignored). */
export const authPlugin = fp<JwksVerifierOptions>(
  async (app, options) => {
    const verifier = new JwksVerifier(options);
    app.decorate('verifier', verifier);
    app.decorateRequest('identity', null);
    app.addHook('onReady', async () => verifier.warmUp());
    // The document says it: any route answers 401 to an invalid token, and a route behind
    // requireAuth(...roles) or requireService(...scopes) 403 to a caller who is not let in.
    // Routes under /internal/ must carry requireService (registration fails otherwise) and are hidden.
    app.addHook('onRoute', (route) => {
      const guards = guardsOf(route);
      if (route.url.startsWith(INTERNAL_PREFIX)) {
        if (!guards.some((g) => g.requiredScopes !== undefined && g.requiredRoles === undefined)) {
          throw new Error(`${[route.method].flat().join(',')} ${route.url}: a route under ${INTERNAL_PREFIX} must carry requireService(...scopes)`);
        }
        route.schema = { ...route.schema, hide: true };
      }
      const schema = route.schema as { hide?: boolean; response?: Record<string, unknown>; security?: unknown } | undefined;
      if (!schema || schema.hide) return;
      const responses = (schema.response ??= {});
      responses[401] ??= problem(401);
      const guard = guards.find((g) => g.requiredRoles !== undefined || g.requiredScopes !== undefined);
      if (guard) {
        schema.security ??= [{ bearer: [] }];
        const who = [
          guard.requiredRoles === undefined ? undefined : guard.requiredRoles.length > 0 ? guard.requiredRoles.join(', ') : 'signed-in users',
          guard.requiredScopes === undefined ? undefined : `services with the scope${guard.requiredScopes.length === 1 ? '' : 's'} ${guard.requiredScopes.join(' ') || '(any)'}`,
        ].filter(Boolean).join(' or ');
        // A user route refuses service tokens (403) and a service route refuses users: both can answer 403.
        responses[403] ??= problem(403, `Only ${who} may do this`);
      }
    });
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      // Only the Bearer scheme carries an access token; another one (HTTP Basic client credentials at
      // the sso's token endpoint) says nothing about the caller here and leaves the request anonymous.
      if (header === undefined || !/^\s*bearer(\s|$)/i.test(header)) return;
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

type Guard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & GuardInfo;

const missingScopes = (identity: Identity, scopes: readonly string[]) => scopes.filter((s) => !identity.scopes.includes(s));

/** A user guard that also lets in service tokens carrying every one of `scopes`. */
export interface UserGuard extends Guard {
  requiredRoles: Role[];
  /** Opts the route in to service tokens: a service with all of `scopes` passes too. */
  orService(...scopes: string[]): Guard & { requiredRoles: Role[]; requiredScopes: string[] };
}

/**
 * preHandler: the route needs a signed-in person, optionally with one of `roles`. A service token is
 * refused (403) unless the route opts in with `requireAuth(...roles).orService(...scopes)`.
 */
export function requireAuth(...roles: Role[]): UserGuard {
  const userAllowed = (identity: Identity) => roles.length === 0 || roles.includes(identity.role as Role);
  const guard = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const identity = request.identity;
    if (!identity) throw unauthorized();
    if (identity.role === SERVICE_ROLE) throw forbidden('this route is for signed-in users, not services');
    if (!userAllowed(identity)) throw forbidden(`this needs one of the roles: ${roles.join(', ')}`);
  };
  const orService = (...scopes: string[]) => {
    const either = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      const identity = request.identity;
      if (!identity) throw unauthorized();
      if (identity.role === SERVICE_ROLE) {
        const missing = missingScopes(identity, scopes);
        if (missing.length > 0) throw forbidden(`the service token lacks the scope${missing.length === 1 ? '' : 's'} ${missing.join(' ')}`);
      } else if (!userAllowed(identity)) {
        throw forbidden(`this needs one of the roles: ${roles.join(', ')}, or a service token`);
      }
    };
    return Object.assign(either, { requiredRoles: roles, requiredScopes: scopes });
  };
  // Read by the auth plugin's onRoute hook to document 401/403 and the bearer requirement.
  return Object.assign(guard, { requiredRoles: roles, orService });
}

/**
 * preHandler: the route is for services only (401 without a token, 403 for a user's token or a
 * service token lacking one of `scopes`). Every route under /internal/ must carry it.
 */
export function requireService(...scopes: string[]): Guard & { requiredScopes: string[] } {
  const guard = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const identity = request.identity;
    if (!identity) throw unauthorized('a service access token is required (client credentials from the sso)');
    if (identity.role !== SERVICE_ROLE) throw forbidden('this route is for services only');
    const missing = missingScopes(identity, scopes);
    if (missing.length > 0) throw forbidden(`the service token lacks the scope${missing.length === 1 ? '' : 's'} ${missing.join(' ')}`);
  };
  return Object.assign(guard, { requiredScopes: scopes });
}

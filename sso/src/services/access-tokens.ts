import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Value } from '@sinclair/typebox/value';
import {
  ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, AccessTokenClaims, SERVICE_ROLE, formatScope, type Role,
} from '@shop/contracts/auth';
import type { SigningKeys } from './signing-keys.ts';

export class InvalidAccessToken extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidAccessToken';
  }
}

/** Seconds of clock skew tolerated on `exp`/`iat` between the sso and its verifiers. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Access tokens: ES256 JWTs with the claims of the auth contract, signed with the active key. */
export class AccessTokens {
  readonly #keys: SigningKeys;
  readonly ttlSeconds: number;
  readonly serviceTtlSeconds: number;
  constructor(keys: SigningKeys, ttlSeconds: number, serviceTtlSeconds = ttlSeconds) {
    // A retired key keeps verifying for ttlSeconds (+ cache time): no token may outlive that.
    if (serviceTtlSeconds > ttlSeconds) throw new Error(`SERVICE_TOKEN_TTL_SECONDS (${serviceTtlSeconds}) must not exceed ACCESS_TOKEN_TTL_SECONDS (${ttlSeconds})`);
    this.#keys = keys;
    this.ttlSeconds = ttlSeconds;
    this.serviceTtlSeconds = serviceTtlSeconds;
  }

  /** A person's token: `sub` = the user id, `role` = the account's role. */
  async sign(user: { id: string; role: Role }): Promise<string> {
    return this.#sign(user.id, { role: user.role }, this.ttlSeconds);
  }

  /** A service's token (client credentials): `sub` = the client id, `role: "service"`, `scope` = the granted scopes. */
  async signService(client: { id: string; scopes: readonly string[] }): Promise<string> {
    return this.#sign(client.id, { role: SERVICE_ROLE, scope: formatScope(client.scopes) }, this.serviceTtlSeconds);
  }

  async #sign(subject: string, claims: Record<string, unknown>, expiresIn: number): Promise<string> {
    const { kid, privateKey } = await this.#keys.signer();
    return jwt.sign(claims, privateKey, {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      keyid: kid,
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      subject,
      jwtid: randomUUID(),
      expiresIn,
    });
  }

  /**
   * Verifies a token the way every service must: the algorithm is pinned (no `none`, no HMAC with a
   * public key), the kid must name one of our keys, and iss, aud, exp and the claim shapes must hold.
   */
  async verify(token: string): Promise<AccessTokenClaims> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new InvalidAccessToken('not a JWT');
    const { alg, kid } = decoded.header;
    if (alg !== ACCESS_TOKEN_ALGORITHM) throw new InvalidAccessToken(`algorithm ${alg} is not accepted`);
    if (typeof kid !== 'string' || kid.length === 0) throw new InvalidAccessToken('no kid');
    const publicKey = await this.#keys.publicKey(kid);
    if (!publicKey) throw new InvalidAccessToken('unknown kid');
    let payload: unknown;
    try {
      payload = jwt.verify(token, publicKey, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
    } catch (err) {
      throw new InvalidAccessToken((err as Error).message);
    }
    if (!Value.Check(AccessTokenClaims, payload)) throw new InvalidAccessToken('claims do not match the contract');
    return payload;
  }
}

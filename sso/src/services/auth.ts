import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { HttpProblem, badRequest, conflict, forbidden, tooManyRequests, unauthorized, type App } from '@shop/kit';
import { SERVICE_ROLE, type Role } from '@shop/contracts/auth';
import type { RefreshTokenRepository } from '../repositories/refresh-tokens.ts';
import type { User, UserRepository } from '../repositories/users.ts';
import { InvalidAccessToken, type AccessTokens } from './access-tokens.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { hashPassword, passwordProblems, spendPasswordCheck, verifyPassword } from './passwords.ts';

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

interface Counter<L extends Record<string, string>> { inc(labels: L): void }

export interface AuthMetrics {
  logins: Counter<{ outcome: 'success' | 'bad_credentials' | 'throttled' }>;
  refreshes: Counter<{ outcome: 'rotated' | 'reused' | 'invalid' }>;
  registrations: Counter<{ role: Role }>;
}

export interface AuthServiceDeps {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  accessTokens: AccessTokens;
  throttle: LoginThrottle;
  metrics: AuthMetrics;
  log: App['log'];
  refreshTokenTtlSeconds: number;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Refresh tokens are 32 random bytes (base64url); only their SHA-256 is stored. */
export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newRefreshToken = () => randomBytes(32).toString('base64url');

const BAD_CREDENTIALS = 'Invalid email or password';
const BAD_REFRESH_TOKEN = 'The refresh token is invalid, expired or revoked; sign in again';

const invalidToken = (detail: string) =>
  new HttpProblem(401, detail, { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });

export const toPublicUser = (user: User): PublicUser => ({ id: user.id, email: user.email, name: user.name, role: user.role });

/** The business rules of sign-up, sign-in, token refresh and sign-out. */
export const adminRegistrationRefused = () => badRequest('Registering as admin is not allowed; role must be customer or seller', [
  { location: 'body', pointer: '/role', message: 'admin accounts are created by an operator (sso CLI create-admin)' },
]);

export class AuthService {
  readonly #d: AuthServiceDeps;
  constructor(deps: AuthServiceDeps) {
    this.#d = deps;
  }

  async register(input: { email: string; password: string; name: string; role?: Role }): Promise<PublicUser> {
    const email = normalizeEmail(input.email);
    const name = input.name.trim();
    const role = input.role ?? 'customer';
    if (role === 'admin') throw adminRegistrationRefused();
    if (name.length === 0) throw badRequest('The name must not be blank', [{ location: 'body', pointer: '/name', message: 'must not be blank' }]);
    const problems = passwordProblems(input.password, email);
    if (problems.length > 0) throw badRequest(`The password is not acceptable: ${problems.map((p) => p.message).join('; ')}`, problems);

    const user = await this.#d.users.create({ email, name, role, passwordHash: await hashPassword(input.password) });
    if (!user) throw conflict('An account with this email already exists');
    this.#d.metrics.registrations.inc({ role });
    return toPublicUser(user);
  }

  async login(input: { email: string; password: string }, ip: string): Promise<TokenPair> {
    const email = normalizeEmail(input.email);
    // The throttle is consulted before the password is checked: a locked account says nothing about it.
    const gate = await this.#d.throttle.attempt(email, ip);
    if (!gate.allowed) {
      this.#d.metrics.logins.inc({ outcome: 'throttled' });
      this.#d.log.info({ ip }, 'login throttled');
      throw tooManyRequests('Too many failed sign-in attempts; try again later', gate.retryAfterSeconds);
    }

    const user = await this.#d.users.findByEmail(email);
    let ok = false;
    if (user) {
      const result = await verifyPassword(input.password, user.passwordHash);
      ok = result.ok;
      if (ok && result.needsRehash) {
        // Best effort: the login succeeds even if the upgraded hash cannot be stored this time.
        await hashPassword(input.password)
          .then((hash) => this.#d.users.updatePasswordHash(user.id, hash))
          .catch((err: unknown) => this.#d.log.warn({ err, userId: user.id }, 'could not upgrade the password hash'));
      }
    } else {
      await spendPasswordCheck(input.password); // same cost as a wrong password: no account enumeration by timing
    }
    if (!user || !ok) {
      this.#d.metrics.logins.inc({ outcome: 'bad_credentials' });
      throw unauthorized(BAD_CREDENTIALS);
    }

    await this.#d.throttle.succeeded(email, ip);
    this.#d.metrics.logins.inc({ outcome: 'success' });
    return this.#issue(user, randomUUID());
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const now = new Date();
    const next = newRefreshToken();
    const result = await this.#d.refreshTokens.rotate(
      hashRefreshToken(refreshToken),
      { tokenHash: hashRefreshToken(next), expiresAt: this.#refreshExpiry(now) },
      now,
    );
    if (result.status === 'rotated') {
      this.#d.metrics.refreshes.inc({ outcome: 'rotated' });
      // The role is read from the user row, so a promotion or demotion shows in the next access token.
      return this.#pair(await this.#d.accessTokens.sign(result.user), next);
    }
    if (result.status === 'reused') {
      // RFC 9700 §4.14.2: a rotated token coming back means it leaked; end the whole session.
      const revoked = await this.#d.refreshTokens.revokeFamily(result.familyId, now);
      this.#d.metrics.refreshes.inc({ outcome: 'reused' });
      this.#d.log.warn({ familyId: result.familyId, userId: result.userId, revoked }, 'refresh token reuse detected; token family revoked');
    } else {
      this.#d.metrics.refreshes.inc({ outcome: 'invalid' });
    }
    throw invalidToken(BAD_REFRESH_TOKEN);
  }

  /** Ends the session (token family) of `refreshToken`; unknown tokens are ignored (idempotent). */
  async logout(refreshToken: string): Promise<void> {
    await this.#d.refreshTokens.revokeFamilyOf(hashRefreshToken(refreshToken), new Date());
  }

  /** The caller of a verified access token, as stored now. */
  async me(token: string | undefined): Promise<PublicUser> {
    if (!token) throw unauthorized('An access token is required: Authorization: Bearer <token>');
    let userId: string;
    try {
      const claims = await this.#d.accessTokens.verify(token);
      if (claims.role === SERVICE_ROLE) throw forbidden('A service token stands for a service client, not an account');
      userId = claims.sub;
    } catch (err) {
      if (err instanceof InvalidAccessToken) {
        this.#d.log.debug({ reason: err.message }, 'access token rejected');
        throw invalidToken('The access token is invalid or expired');
      }
      throw err;
    }
    const user = await this.#d.users.findById(userId);
    if (!user) throw invalidToken('The account of this access token no longer exists');
    return toPublicUser(user);
  }

  async #issue(user: User, familyId: string): Promise<TokenPair> {
    const refreshToken = newRefreshToken();
    const [accessToken] = await Promise.all([
      this.#d.accessTokens.sign(user),
      this.#d.refreshTokens.create({ userId: user.id, familyId, tokenHash: hashRefreshToken(refreshToken), expiresAt: this.#refreshExpiry(new Date()) }),
    ]);
    return this.#pair(accessToken, refreshToken);
  }

  #pair(accessToken: string, refreshToken: string): TokenPair {
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.#d.accessTokens.ttlSeconds };
  }

  #refreshExpiry(now: Date): Date {
    return new Date(now.getTime() + this.#d.refreshTokenTtlSeconds * 1000);
  }
}

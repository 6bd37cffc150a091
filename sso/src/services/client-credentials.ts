import { randomBytes } from 'node:crypto';
import { HttpProblem, problemType, tooManyRequests, type App } from '@shop/kit';
import { formatScope, parseScope } from '@shop/contracts/auth';
import type { ServiceClient, ServiceClientRepository } from '../repositories/service-clients.ts';
import type { AccessTokens } from './access-tokens.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { hashPassword, spendPasswordCheck, verifyPassword } from './passwords.ts';

/** The error codes of RFC 6749 §5.2 the token endpoint answers with (in the problem's `error`). */
export type OAuthError = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

/** A problem+json answer that also carries the RFC 6749 §5.2 `error` code and `error_description`. */
export const oauthProblem = (status: number, error: OAuthError, detail: string, headers: Record<string, string> = {}) =>
  new HttpProblem(status, detail, { type: problemType(error.replaceAll('_', '-')), extensions: { error, error_description: detail }, headers });

/** RFC 6749 §5.2: a 401 names the authentication scheme the client can use. */
export const CLIENT_CHALLENGE = 'Basic realm="shop-sso", charset="UTF-8"';
const invalidClient = (detail: string) => oauthProblem(401, 'invalid_client', detail, { 'www-authenticate': CLIENT_CHALLENGE });

/** 32 random bytes, base64url: shown once by the CLI, stored only as its scrypt hash. */
export const newClientSecret = () => randomBytes(32).toString('base64url');

/** RFC 6749 §2.3.1: the Basic user and password are form-urlencoded before base64. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

export interface TokenRequest {
  /** The Authorization header; only a `Basic` one is client authentication (others are ignored). */
  authorization?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** Space-delimited scopes to narrow the grant to (validated by the route's schema). */
  scope?: string | undefined;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** The client's credentials from exactly one method: HTTP Basic or the body (RFC 6749 §2.3.1). */
export function clientCredentials(request: TokenRequest): { clientId: string; clientSecret: string } {
  const basic = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(request.authorization ?? '')?.[1];
  const inBody = request.clientId !== undefined || request.clientSecret !== undefined;
  if (/^Basic\b/i.test(request.authorization ?? '') && basic === undefined) throw invalidClient('The Basic credentials are malformed');
  if (basic !== undefined && inBody) {
    throw oauthProblem(400, 'invalid_request', 'Authenticate the client with one method only: HTTP Basic or client_id/client_secret in the body');
  }
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidClient('The Basic credentials are malformed');
    try {
      return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
    } catch {
      throw invalidClient('The Basic credentials are malformed');
    }
  }
  if (request.clientId === undefined || request.clientSecret === undefined) {
    throw invalidClient('Client authentication is required: HTTP Basic, or client_id and client_secret in the body');
  }
  return { clientId: request.clientId, clientSecret: request.clientSecret };
}

interface Counter<L extends Record<string, string>> { inc(labels: L): void }

export interface ClientCredentialsDeps {
  clients: ServiceClientRepository;
  accessTokens: AccessTokens;
  /** Failed client authentications, per client id and per IP (the login throttle with its own prefix). */
  throttle: LoginThrottle;
  metrics: { tokens: Counter<{ outcome: 'issued' | 'invalid_client' | 'invalid_scope' | 'throttled' }> };
  log: App['log'];
}

/** The client credentials grant (RFC 6749 §4.4): service clients exchange their secret for a short-lived token. */
export class ClientCredentialsService {
  readonly #d: ClientCredentialsDeps;
  constructor(deps: ClientCredentialsDeps) {
    this.#d = deps;
  }

  async issue(request: TokenRequest, ip: string): Promise<TokenResponse> {
    const { clientId, clientSecret } = clientCredentials(request);
    // As for logins: the attempt is counted before the secret is checked, so a locked client says nothing.
    const gate = await this.#d.throttle.attempt(clientId, ip);
    if (!gate.allowed) {
      this.#d.metrics.tokens.inc({ outcome: 'throttled' });
      throw tooManyRequests('Too many failed client authentications; try again later', gate.retryAfterSeconds);
    }
    const client = await this.#d.clients.findById(clientId);
    // An unknown client costs one scrypt as well: no enumeration of client ids by timing.
    const ok = client ? (await verifyPassword(clientSecret, client.secretHash)).ok : (await spendPasswordCheck(clientSecret), false);
    if (!client || !ok || client.disabledAt) {
      this.#d.metrics.tokens.inc({ outcome: 'invalid_client' });
      throw invalidClient('Client authentication failed (unknown client, wrong secret or disabled client)');
    }
    await this.#d.throttle.succeeded(clientId, ip);

    const requested = request.scope === undefined ? client.scopes : parseScope(request.scope);
    const missing = requested.filter((s) => !client.scopes.includes(s));
    if (missing.length > 0) {
      this.#d.metrics.tokens.inc({ outcome: 'invalid_scope' });
      throw oauthProblem(400, 'invalid_scope', `The client may not have the scope${missing.length === 1 ? '' : 's'} ${formatScope(missing)}`);
    }
    const accessToken = await this.#d.accessTokens.signService({ id: client.id, scopes: requested });
    this.#d.metrics.tokens.inc({ outcome: 'issued' });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.#d.accessTokens.serviceTtlSeconds, scope: formatScope(requested) };
  }
}

/** What an operator sees of a client (never the secret's hash). */
export interface ClientView {
  clientId: string;
  name: string;
  scopes: string[];
  createdAt: string;
  secretRotatedAt: string | null;
  disabledAt: string | null;
}

export const clientView = (c: ServiceClient): ClientView => ({
  clientId: c.id, name: c.name, scopes: c.scopes, createdAt: c.createdAt.toISOString(),
  secretRotatedAt: c.secretRotatedAt?.toISOString() ?? null, disabledAt: c.disabledAt?.toISOString() ?? null,
});

export class ClientAdminError extends Error {}

const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;

/** Operator actions on service clients (the CLI): the secret is returned once, only its hash is kept. */
export class ServiceClientAdmin {
  readonly #clients: ServiceClientRepository;
  constructor(clients: ServiceClientRepository) {
    this.#clients = clients;
  }

  async register(name: string, scope: string): Promise<ClientView & { clientSecret: string }> {
    if (!CLIENT_NAME.test(name)) throw new ClientAdminError('the name must be 1..100 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit');
    let scopes: string[];
    try {
      scopes = parseScope(scope.trim());
    } catch (err) {
      throw new ClientAdminError(`--scopes: ${(err as Error).message}`);
    }
    const clientSecret = newClientSecret();
    const client = await this.#clients.create({ name, scopes, secretHash: await hashPassword(clientSecret) });
    if (!client) throw new ClientAdminError(`a client named '${name}' exists; use rotate-client-secret for a new secret`);
    return { ...clientView(client), clientSecret };
  }

  async rotateSecret(idOrName: string): Promise<ClientView & { clientSecret: string }> {
    const client = await this.#find(idOrName);
    const clientSecret = newClientSecret();
    return { ...clientView(await this.#clients.replaceSecret(client.id, await hashPassword(clientSecret), new Date())), clientSecret };
  }

  async disable(idOrName: string): Promise<ClientView> {
    return clientView(await this.#clients.disable((await this.#find(idOrName)).id, new Date()));
  }

  async #find(idOrName: string): Promise<ServiceClient> {
    const client = await this.#clients.find(idOrName);
    if (!client) throw new ClientAdminError(`no client with the id or name '${idOrName}'`);
    return client;
  }
}

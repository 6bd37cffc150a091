import { Type, type Static } from '@sinclair/typebox';

/** Access tokens: JWTs signed by the sso with an asymmetric key, verified everywhere against its JWKS. */
export const ACCESS_TOKEN_ALGORITHM = 'ES256';
export const ACCESS_TOKEN_ISSUER = 'shop-sso';
export const ACCESS_TOKEN_AUDIENCE = 'shop-api';
export const JWKS_PATH = '/.well-known/jwks.json';

/** The roles of people (accounts). Registration offers customer and seller; admins come from the sso CLI. */
export const ROLES = ['customer', 'seller', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The role of a service identity: an access token the sso issued to a registered service client
 * (OAuth 2.0 client credentials, RFC 6749 §4.4). `sub` is the client id; `scope` says what it may do.
 * Never a role of an account.
 */
export const SERVICE_ROLE = 'service';
export type ServiceRole = typeof SERVICE_ROLE;

/**
 * One scope token. RFC 6749 §3.3 allows any printable ASCII but `"` and `\`; the shop uses a narrower,
 * unambiguous set: lower-case letters, digits and `.`, `_`, `:`, `-`, e.g. `stock:reserve`, `cart:read`.
 */
export const SCOPE_TOKEN_PATTERN = '[a-z0-9][a-z0-9._:-]{0,63}';
/** The `scope` claim and parameter: scope tokens separated by single spaces (RFC 6749 §3.3, RFC 8693 §4.2). */
export const SCOPE_PATTERN = `^${SCOPE_TOKEN_PATTERN}( ${SCOPE_TOKEN_PATTERN})*$`;
const scopeToken = new RegExp(`^${SCOPE_TOKEN_PATTERN}$`);

/** `"a b"` → `['a', 'b']` (duplicates dropped, order kept); throws on anything but valid scope tokens. */
export function parseScope(scope: string): string[] {
  const tokens = scope.split(' ');
  for (const token of tokens) {
    if (!scopeToken.test(token)) throw new Error(`invalid scope token ${JSON.stringify(token)}: scopes are ${SCOPE_TOKEN_PATTERN} separated by single spaces`);
  }
  return [...new Set(tokens)];
}

/** `['a', 'b']` → `"a b"`. */
export const formatScope = (scopes: readonly string[]): string => scopes.join(' ');

const commonClaims = {
  sub: Type.String({ minLength: 1 }),
  iss: Type.Literal(ACCESS_TOKEN_ISSUER),
  aud: Type.Union([Type.Literal(ACCESS_TOKEN_AUDIENCE), Type.Array(Type.String())]),
  iat: Type.Integer(),
  exp: Type.Integer(),
  jti: Type.String({ minLength: 1 }),
};

/** A person's token: one of the account roles and no `scope` (a user token carrying one is malformed). */
export const UserAccessTokenClaims = Type.Object({
  ...commonClaims,
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  scope: Type.Optional(Type.Never()),
});

/** A service's token: `role: "service"`, `sub` = the client id, `scope` = the granted scopes (at least one). */
export const ServiceAccessTokenClaims = Type.Object({
  ...commonClaims,
  role: Type.Literal(SERVICE_ROLE),
  scope: Type.String({ pattern: SCOPE_PATTERN, maxLength: 2048 }),
});

export const AccessTokenClaims = Type.Union([UserAccessTokenClaims, ServiceAccessTokenClaims]);
export type UserAccessTokenClaims = Static<typeof UserAccessTokenClaims>;
export type ServiceAccessTokenClaims = Static<typeof ServiceAccessTokenClaims>;
export type AccessTokenClaims = Static<typeof AccessTokenClaims>;

/** The caller as every service sees it, taken only from a verified access token. */
export interface Identity {
  /** The user id, or the service client id when `role` is `service`. */
  id: string;
  role: Role | ServiceRole;
  tokenId: string;
  /** The granted scopes of a service token; always empty for users. */
  scopes: string[];
}

/** The identity a set of verified claims stands for. */
export function identityOf(claims: AccessTokenClaims): Identity {
  return {
    id: claims.sub,
    role: claims.role,
    tokenId: claims.jti,
    scopes: claims.role === SERVICE_ROLE ? parseScope(claims.scope) : [],
  };
}

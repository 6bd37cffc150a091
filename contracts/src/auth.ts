import { Type, type Static } from '@sinclair/typebox';

/** Access tokens: JWTs signed by the sso with an asymmetric key, verified everywhere against its JWKS. */
export const ACCESS_TOKEN_ALGORITHM = 'ES256';
export const ACCESS_TOKEN_ISSUER = 'shop-sso';
export const ACCESS_TOKEN_AUDIENCE = 'shop-api';
export const JWKS_PATH = '/.well-known/jwks.json';

export const ROLES = ['customer', 'seller', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const AccessTokenClaims = Type.Object({
  sub: Type.String({ minLength: 1 }),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  iss: Type.Literal(ACCESS_TOKEN_ISSUER),
  aud: Type.Union([Type.Literal(ACCESS_TOKEN_AUDIENCE), Type.Array(Type.String())]),
  iat: Type.Integer(),
  exp: Type.Integer(),
  jti: Type.String({ minLength: 1 }),
});
export type AccessTokenClaims = Static<typeof AccessTokenClaims>;

/** The caller as every service sees it, taken only from a verified access token. */
export interface Identity {
  id: string;
  role: Role;
  tokenId: string;
}

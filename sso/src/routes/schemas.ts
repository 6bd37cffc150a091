import { NON_BLANK_TEXT_PATTERN, SAFE_TEXT_PATTERN, Type } from '@shop/kit';
import { ROLES, SCOPE_PATTERN, type Role } from '@shop/contracts/auth';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../services/passwords.ts';

const strict = { additionalProperties: false } as const;

/** One `enum` keyword (not anyOf of literals) so a bad value gets one clear validation error. */
const RoleSchema = <R extends Role>(roles: readonly R[], description: string) =>
  Type.Unsafe<R>({ type: 'string', enum: [...roles], description });

const Email = Type.String({ format: 'email', maxLength: 254, description: 'trimmed and lower-cased before use' });

export const RegisterBody = Type.Object({
  email: Email,
  password: Type.String({
    minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH,
    description: `${PASSWORD_MIN_LENGTH}..${PASSWORD_MAX_LENGTH} characters, not the email`,
  }),
  name: Type.String({ minLength: 1, maxLength: 100, pattern: NON_BLANK_TEXT_PATTERN, description: 'trimmed' }),
  role: Type.Optional(RoleSchema(ROLES.filter((r) => r !== 'admin'), 'customer (default) or seller (admins are created with the sso CLI)')),
}, strict);

export const LoginBody = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 254 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
}, strict);

export const RefreshBody = Type.Object({
  refreshToken: Type.String({ minLength: 1, maxLength: 512 }),
}, strict);

export const UserView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema(ROLES, 'customer, seller or admin'),
});

export const TokenPairView = Type.Object({
  accessToken: Type.String({ description: 'ES256 JWT; verify against /.well-known/jwks.json' }),
  refreshToken: Type.String({ description: 'opaque, single use: every refresh returns a new one' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'access token lifetime in seconds' }),
});

export const Jwks = Type.Object({
  keys: Type.Array(Type.Object({
    kty: Type.Literal('EC'),
    crv: Type.Literal('P-256'),
    x: Type.String(),
    y: Type.String(),
    kid: Type.String(),
    alg: Type.Literal('ES256'),
    use: Type.Literal('sig'),
  })),
});

/** The token request of the client credentials grant (RFC 6749 §4.4.2), in a form or as JSON. */
export const TokenRequestBody = Type.Object({
  grant_type: Type.Unsafe<'client_credentials'>({ type: 'string', enum: ['client_credentials'], description: 'only client_credentials (anything else: unsupported_grant_type)' }),
  client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: SAFE_TEXT_PATTERN, description: 'with client_secret, instead of HTTP Basic' })),
  client_secret: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: SAFE_TEXT_PATTERN })),
  scope: Type.Optional(Type.String({ pattern: SCOPE_PATTERN, maxLength: 2048, description: 'space-delimited; narrows the grant to these of the client\'s scopes (default: all of them)' })),
}, strict);
export const TOKEN_REQUEST_FIELDS = Object.keys(TokenRequestBody.properties);

/** RFC 6749 §5.1. */
export const TokenResponseView = Type.Object({
  access_token: Type.String({ description: 'ES256 JWT with role "service" and the granted scope; verify against /.well-known/jwks.json' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'lifetime in seconds' }),
  scope: Type.String({ description: 'the granted scopes, space-delimited' }),
});

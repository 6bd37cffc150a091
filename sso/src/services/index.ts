import type { App, Static } from '@shop/kit';
import type { config } from '../config.ts';
import { RefreshTokenRepository } from '../repositories/refresh-tokens.ts';
import { ServiceClientRepository } from '../repositories/service-clients.ts';
import { SigningKeyRepository } from '../repositories/signing-keys.ts';
import { UserRepository } from '../repositories/users.ts';
import { AccessTokens } from './access-tokens.ts';
import { AuthService } from './auth.ts';
import { ClientCredentialsService } from './client-credentials.ts';
import { CLIENT_THROTTLE_PREFIX, LoginThrottle } from './login-throttle.ts';
import { SigningKeys } from './signing-keys.ts';

export type SsoConfig = Static<typeof config>;

export interface SsoServices {
  auth: AuthService;
  keys: SigningKeys;
  clients: ClientCredentialsService;
}

/** Wires repositories (on `app.prisma`, `app.redis`) into the services and their metrics. */
export function createServices(app: App, cfg: SsoConfig): SsoServices {
  const keys = new SigningKeys(new SigningKeyRepository(app.prisma), {
    accessTokenTtlSeconds: cfg.ACCESS_TOKEN_TTL_SECONDS,
    cacheSeconds: cfg.SIGNING_KEY_CACHE_SECONDS,
    publishSeconds: cfg.SIGNING_KEY_PUBLISH_SECONDS,
  });
  const throttleUnavailable = app.metrics.counter({
    name: 'sso_login_throttle_unavailable_total', help: 'Login attempts let through because Redis (the throttle) was unavailable',
  });
  const limits = {
    maxFailuresPerAccount: cfg.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    maxFailuresPerIp: cfg.LOGIN_MAX_FAILURES_PER_IP,
    windowSeconds: cfg.LOGIN_FAILURE_WINDOW_SECONDS,
  };
  const throttle = new LoginThrottle(app.redis, limits, app.log, () => throttleUnavailable.inc());
  const accessTokens = new AccessTokens(keys, cfg.ACCESS_TOKEN_TTL_SECONDS, cfg.SERVICE_TOKEN_TTL_SECONDS);
  const clients = new ClientCredentialsService({
    clients: new ServiceClientRepository(app.prisma),
    accessTokens,
    // Failed client authentications count like failed logins, per client id and per IP, in their own counters.
    throttle: new LoginThrottle(app.redis, { ...limits, prefix: CLIENT_THROTTLE_PREFIX }, app.log, () => throttleUnavailable.inc()),
    log: app.log,
    metrics: {
      tokens: app.metrics.counter({ name: 'sso_service_tokens_total', help: 'Client credentials token requests by outcome', labelNames: ['outcome'] as const }),
    },
  });
  const auth = new AuthService({
    users: new UserRepository(app.prisma),
    refreshTokens: new RefreshTokenRepository(app.prisma),
    accessTokens,
    throttle,
    log: app.log,
    refreshTokenTtlSeconds: cfg.REFRESH_TOKEN_TTL_SECONDS,
    metrics: {
      logins: app.metrics.counter({ name: 'sso_logins_total', help: 'Login attempts by outcome', labelNames: ['outcome'] as const }),
      refreshes: app.metrics.counter({ name: 'sso_token_refreshes_total', help: 'Refresh-token uses by outcome', labelNames: ['outcome'] as const }),
      registrations: app.metrics.counter({ name: 'sso_registrations_total', help: 'Accounts registered, by role', labelNames: ['role'] as const }),
    },
  });

  // The first instance to start creates the first key (race-safe); a database that is down at start
  // only delays that to the first token signed, readiness reports it meanwhile.
  app.addHook('onReady', async () => {
    try {
      const { kid, created } = await keys.ensureActiveKey();
      if (created) app.log.info({ kid }, 'created the first signing key');
    } catch (err) {
      app.log.warn({ err }, 'could not ensure a signing key at start; will retry on first use');
    }
  });
  app.health.add('signing-key', () => keys.signer());
  return { auth, keys, clients };
}

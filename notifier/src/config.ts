import { Type, type Static, baseConfig, kafkaConfig, portConfig, postgresConfig, urlConfig } from '@shop/kit';

export const config = Type.Object({
  ...baseConfig,
  PORT: portConfig(8089),
  ...postgresConfig,
  ...kafkaConfig,
  /** The sso's base URL: access tokens are verified against its `/.well-known/jwks.json`. */
  SSO_URL: urlConfig(),
  /** SMTP server for the e-mails (`smtp://host:port`, `smtps://user:pass@host:465`); unset: in-app notifications only. */
  SMTP_URL: Type.Optional(urlConfig(['smtp', 'smtps'])),
  /** The From of every e-mail. */
  MAIL_FROM: Type.String({ default: 'Shop <no-reply@shop.example>', minLength: 3, maxLength: 200 }),
  /** Consumer groups (tests run their own beside the running notifier). */
  ORDER_EVENTS_GROUP: Type.String({ default: 'notifier', minLength: 1, maxLength: 100 }),
  ORDERS_GROUP: Type.String({ default: 'notifier-orders', minLength: 1, maxLength: 100 }),
  /** The mailer looks for mail to send at least this often (it is also woken by every stored event and order). */
  MAIL_POLL_MS: Type.Integer({ default: 1_000, minimum: 10 }),
  /** Mails sent per round (one transaction, rows locked FOR UPDATE SKIP LOCKED). */
  MAIL_BATCH_SIZE: Type.Integer({ default: 20, minimum: 1, maximum: 500 }),
  /** After a failed send the mail waits MAIL_RETRY_MIN_MS doubling per attempt up to MAIL_RETRY_MAX_MS. */
  MAIL_RETRY_MIN_MS: Type.Integer({ default: 5_000, minimum: 10 }),
  MAIL_RETRY_MAX_MS: Type.Integer({ default: 10 * 60_000, minimum: 10 }),
  /** A notification older than this is never mailed (its order document never came, or SMTP was down for that long). */
  MAIL_MAX_AGE_HOURS: Type.Integer({ default: 72, minimum: 1 }),
  /** Time limit of one SMTP conversation (connect, greeting, each reply). */
  SMTP_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
});

export type NotifierConfig = Static<typeof config>;

import type { Logger } from '@shop/kit';

/** The logger methods the facade's services use (a pino or Fastify logger). */
export type Log = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

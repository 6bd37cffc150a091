import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    health: HealthChecks;
  }
}

export type Check = () => Promise<unknown>;
export interface CheckResult { status: 'up' | 'down'; latencyMs: number; error?: string }

/** Readiness checks a service registers for each dependency it cannot work without. */
export class HealthChecks {
  readonly #checks = new Map<string, Check>();
  #closing = false;
  readonly timeoutMs: number;
  constructor(timeoutMs = 2_000) {
    this.timeoutMs = timeoutMs;
  }
  add(name: string, check: Check): void {
    this.#checks.set(name, check);
  }
  /** Drops a check (a plugin's, for a dependency this service can answer without). */
  remove(name: string): void {
    this.#checks.delete(name);
  }
  markClosing(): void {
    this.#closing = true;
  }
  get closing(): boolean {
    return this.#closing;
  }
  async run(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const entries = await Promise.all(
      [...this.#checks].map(async ([name, check]): Promise<[string, CheckResult]> => {
        const started = performance.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
            }),
          ]);
          return [name, { status: 'up', latencyMs: Math.round(performance.now() - started) }];
        } catch (err) {
          return [name, { status: 'down', latencyMs: Math.round(performance.now() - started), error: (err as Error).message }];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { ready: !this.#closing && entries.every(([, r]) => r.status === 'up'), checks };
  }
}

/** `GET /health/live` (the process answers) and `GET /health/ready` (its dependencies answer). */
export const healthPlugin = fp<{ checks: HealthChecks }>(
  async (app: FastifyInstance, { checks }) => {
    app.decorate('health', checks);
    app.addHook('preClose', async () => checks.markClosing());
    app.get('/health/live', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/health/ready', { schema: { hide: true } }, async (_request, reply) => {
      const { ready, checks: results } = await checks.run();
      reply.code(ready ? 200 : 503);
      return { status: ready ? 'ok' : checks.closing ? 'closing' : 'fail', checks: results };
    });
  },
  { name: 'health' },
);

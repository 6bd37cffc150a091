import { ConfigError } from './config.ts';

/** A command line that does not make sense: the message and the usage go to stderr, exit 64 (EX_USAGE). */
export class UsageError extends Error {}

/** An operator command's result: pretty JSON on stdout. */
export const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/**
 * Runs an operator command and sets the exit code: its own result, 64 for a usage error, 78
 * (EX_CONFIG) for bad configuration, otherwise 1 with `{ok: false, error}` on stdout.
 */
export async function runCli(main: () => Promise<number>, usage: string): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${usage}`);
      process.exitCode = 64;
    } else if (err instanceof ConfigError) {
      console.error(err.message);
      process.exitCode = 78;
    } else {
      printJson({ ok: false, error: (err as Error).message });
      console.error(err);
      process.exitCode = 1;
    }
  }
}

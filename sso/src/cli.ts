// Operator commands of the sso, run next to the service with the same environment (DATABASE_URL, ...):
//
//   node sso/src/cli.ts rotate-key [--activate-in <seconds>]
//       Publish, then activate: adds a new signing key to the JWKS now; it starts signing after
//       SIGNING_KEY_PUBLISH_SECONDS (default 90 s; --activate-in overrides it), which is longer than
//       any verifier caches the JWKS (60 s) plus SIGNING_KEY_CACHE_SECONDS, so no verifier meets a
//       token whose key it could not have fetched. The previous key signs until that moment, then
//       retires, and stays in the JWKS (and keeps verifying) for ACCESS_TOKEN_TTL_SECONDS +
//       SIGNING_KEY_CACHE_SECONDS; keys retired before that are deleted. Running services switch
//       within SIGNING_KEY_CACHE_SECONDS of the activation, without a restart. `--activate-in 0`
//       is for a compromised key only: verifiers that cached the JWKS fetch it again on the unknown
//       kid (at most once a second), so tokens may wait up to a second but are not refused.
//
//   node sso/src/cli.ts create-admin --email <email> --name <name>
//       Creates an admin account, or promotes the existing account with that email to admin (its
//       password is then left unchanged). The password of a new account is read from the environment
//       variable ADMIN_PASSWORD or, when that is unset, from stdin (prompted without echo on a
//       terminal, else the first line) — never from the command line, where `ps` and shell history see it.
//
//   node sso/src/cli.ts register-client --name <name> --scopes "<scope> <scope>..."
//       Registers a service client (OAuth 2.0 client credentials, `POST /api/auth/token`) and prints its
//       client id and secret. The secret is shown this once: only its scrypt hash is stored.
//
//   node sso/src/cli.ts rotate-client-secret --client <client id or name>
//       Replaces the client's secret and prints the new one (once). The old secret stops working at
//       once; tokens issued with it stay valid until they expire (SERVICE_TOKEN_TTL_SECONDS).
//
//   node sso/src/cli.ts disable-client --client <client id or name>
//       The client gets no new tokens; the ones it holds expire within SERVICE_TOKEN_TTL_SECONDS.
//
// Exit codes: 0 done, 64 usage error, 65 bad input (email, password, client name, scopes, unknown client),
// 75 concurrent creation, 78 bad configuration.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@shop/kit';
import { cliConfig } from './config.ts';
import { createDb } from './db.ts';
import { SigningKeyRepository } from './repositories/signing-keys.ts';
import { ServiceClientRepository } from './repositories/service-clients.ts';
import { UserRepository } from './repositories/users.ts';
import { normalizeEmail } from './services/auth.ts';
import { ClientAdminError, ServiceClientAdmin } from './services/client-credentials.ts';
import { hashPassword, passwordProblems } from './services/passwords.ts';
import { SigningKeys } from './services/signing-keys.ts';

const USAGE = `usage:
  node sso/src/cli.ts rotate-key [--activate-in <seconds>]
  node sso/src/cli.ts create-admin --email <email> --name <name>   (password: env ADMIN_PASSWORD or stdin)
  node sso/src/cli.ts register-client --name <name> --scopes "<scope> <scope>..."
  node sso/src/cli.ts rotate-client-secret --client <client id or name>
  node sso/src/cli.ts disable-client --client <client id or name>`;

const CLIENT_COMMANDS = ['register-client', 'rotate-client-secret', 'disable-client'];
const COMMANDS = ['rotate-key', 'create-admin', ...CLIENT_COMMANDS];

class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 64) {
    super(message);
    this.exitCode = exitCode;
  }
}

const out = (line: string) => process.stdout.write(`${line}\n`);

async function readPassword(): Promise<string> {
  const fromEnv = process.env.ADMIN_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return process.stdin.isTTY ? readHidden('Password for the admin: ') : readFirstLine();
}

async function readFirstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0]) ?? '';
}

function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new UsageError('cancelled', 130));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || !COMMANDS.includes(command)) throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
  const cfg = loadConfig('sso-cli', cliConfig);
  const db = createDb(cfg.DATABASE_URL);
  try {
    if (command === 'rotate-key') {
      let activateIn: number | undefined;
      try {
        const { values } = parseArgs({ args: rest, options: { 'activate-in': { type: 'string' } }, strict: true, allowPositionals: false });
        if (values['activate-in'] !== undefined) {
          if (!/^\d{1,5}$/.test(values['activate-in'])) throw new Error('--activate-in must be a whole number of seconds (0..86400)');
          activateIn = Number(values['activate-in']);
          if (activateIn > 86_400) throw new Error('--activate-in must be a whole number of seconds (0..86400)');
        }
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const keys = new SigningKeys(new SigningKeyRepository(db), {
        accessTokenTtlSeconds: cfg.ACCESS_TOKEN_TTL_SECONDS, cacheSeconds: cfg.SIGNING_KEY_CACHE_SECONDS,
        publishSeconds: cfg.SIGNING_KEY_PUBLISH_SECONDS,
      });
      out(JSON.stringify(await keys.rotate(activateIn)));
      return;
    }

    if (CLIENT_COMMANDS.includes(command)) {
      await clientCommand(command, rest, new ServiceClientAdmin(new ServiceClientRepository(db)));
      return;
    }

    let values: { email?: string; name?: string };
    try {
      ({ values } = parseArgs({ args: rest, options: { email: { type: 'string' }, name: { type: 'string' } }, strict: true, allowPositionals: false }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const email = normalizeEmail(values.email ?? '');
    const name = (values.name ?? '').trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) throw new UsageError('--email must be an email address');
    if (name.length < 1 || name.length > 100) throw new UsageError('--name must be 1..100 characters');

    const users = new UserRepository(db);
    const existing = await users.findByEmail(email);
    if (existing) {
      const user = existing.role === 'admin' ? existing : await users.setRole(existing.id, 'admin');
      out(JSON.stringify({ id: user.id, email: user.email, role: user.role, created: false, note: 'existing account promoted; password unchanged' }));
      return;
    }
    const password = await readPassword();
    const problems = passwordProblems(password, email);
    if (problems.length > 0) throw new UsageError(`the password ${problems.map((p) => p.message).join('; ')}`, 65);
    const user = await users.create({ email, name, role: 'admin', passwordHash: await hashPassword(password) });
    if (!user) throw new UsageError(`an account with ${email} was created concurrently; run the command again to promote it`, 75);
    out(JSON.stringify({ id: user.id, email: user.email, role: user.role, created: true }));
  } finally {
    await db.$disconnect();
  }
}

function options<K extends string>(args: string[], names: K[]): Partial<Record<K, string>> {
  try {
    const spec = Object.fromEntries(names.map((n) => [n, { type: 'string' as const }]));
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values as Partial<Record<K, string>>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is required`);
  return value.trim();
}

async function clientCommand(command: string, args: string[], admin: ServiceClientAdmin): Promise<void> {
  const once = 'store the secret now: it is shown only this once (only its hash is kept)';
  try {
    if (command === 'register-client') {
      const { name, scopes } = options(args, ['name', 'scopes']);
      out(JSON.stringify({ ...(await admin.register(required(name, '--name'), required(scopes, '--scopes'))), note: once }));
    } else if (command === 'rotate-client-secret') {
      out(JSON.stringify({ ...(await admin.rotateSecret(required(options(args, ['client']).client, '--client'))), note: once }));
    } else {
      out(JSON.stringify(await admin.disable(required(options(args, ['client']).client, '--client'))));
    }
  } catch (err) {
    if (err instanceof ClientAdminError) throw new UsageError(err.message, 65);
    throw err;
  }
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exitCode = 78;
  } else if (err instanceof UsageError) {
    console.error(err.exitCode === 64 ? `error: ${err.message}\n${USAGE}` : `error: ${err.message}`);
    process.exitCode = err.exitCode;
  } else {
    throw err;
  }
}

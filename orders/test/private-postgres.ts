// A PostgreSQL cluster of one test's own (the Debian server binaries infra/postgres.sh uses, a temporary data
// directory, a free port, trust on loopback, fsync and synchronous commit on): the test may stop it for real
// (`pg_ctl stop -m immediate`, like a crash) and start it again without touching the stack's shared server.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support.ts';

const bin = (): string => {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
};

/** Runs a server binary as the postgres OS user when this process is root (the server refuses root). */
function asPostgres(file: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const result = root ? spawnSync('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', file, ...args], { encoding: 'utf8' })
    : spawnSync(file, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
}

export class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'orders-pg-'));
  port = 0;

  get data() {
    return join(this.dir, 'data');
  }

  /** The URL of `database` on this server (user postgres, no password: trust on loopback). */
  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async init(): Promise<this> {
    this.port = await freePort();
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:', this.dir]);
    asPostgres(join(bin(), 'initdb'), ['-D', this.data, '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--auth=trust', '--no-sync']);
    writeFileSync(join(this.dir, 'extra.conf'), `listen_addresses = '127.0.0.1'\nport = ${this.port}\nunix_socket_directories = '${this.dir}'\nmax_connections = 50\nfsync = on\nsynchronous_commit = on\n`);
    if (process.getuid?.() === 0) chownSync(join(this.dir, 'extra.conf'), Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
    writeFileSync(join(this.data, 'postgresql.auto.conf'), `include '${join(this.dir, 'extra.conf')}'\n`, { flag: 'a' });
    this.start();
    return this;
  }

  start(): void {
    asPostgres(join(bin(), 'pg_ctl'), ['-D', this.data, '-l', join(this.dir, 'log'), '-w', '-t', '30', 'start']);
  }

  /** Stops the server at once (no checkpoint: like a crash; committed transactions survive). */
  stop(): void {
    asPostgres(join(bin(), 'pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Operator commands of item-crud, run next to the service with the same environment
// (DATABASE_URL, MINIO_ENDPOINT, MINIO_ACCESS_KEY, MINIO_SECRET_KEY, MINIO_BUCKET):
//
//   node item-crud/src/cli.ts sweep-images [--dry-run] [--older-than-minutes <n>] [--item <uuid>]
//       Removes objects under items/ in the images bucket whose image has no row in item_images (a
//       removal that failed after its commit, a crash between storing an upload and committing it), if
//       they are older than the grace period (default 60 minutes: an upload stores its objects before
//       its transaction commits). Keys that do not follow items/<itemId>/<imageId>/(original|thumb)
//       are reported, never removed. --item narrows the sweep to one item's prefix.
//
// Output: one JSON document on stdout; logs (JSON) on stderr.
// Exit codes: 0 done, 1 failed (some removals failed), 64 usage error, 78 bad configuration.
import { parseArgs } from 'node:util';
import { Client } from 'minio';
import { UsageError, createLogger, loadConfig, printJson, runCli } from '@shop/kit';
import { cliConfig } from './config.ts';
import { createDb } from './db.ts';
import { ImageStore } from './repositories/image-store.ts';
import { ImageRepository } from './repositories/images.ts';
import { sweepOrphanObjects } from './services/image-objects.ts';

const USAGE = `usage:
  node item-crud/src/cli.ts sweep-images [--dry-run] [--older-than-minutes <n>] [--item <uuid>]`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEFAULT_GRACE_MINUTES = 60;


async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'sweep-images') throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  let values: { 'dry-run'?: boolean; 'older-than-minutes'?: string; item?: string };
  try {
    ({ values } = parseArgs({
      args: rest, strict: true,
      options: { 'dry-run': { type: 'boolean' }, 'older-than-minutes': { type: 'string' }, item: { type: 'string' } },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const minutes = values['older-than-minutes'] === undefined ? DEFAULT_GRACE_MINUTES : Number(values['older-than-minutes']);
  if (!(Number.isFinite(minutes) && minutes >= 0)) throw new UsageError('--older-than-minutes must be a number ≥ 0');
  if (values.item !== undefined && !UUID.test(values.item)) throw new UsageError('--item must be a lower-case uuid');

  const cfg = loadConfig('item-crud', cliConfig);
  const log = createLogger('item-crud-cli', cfg.LOG_LEVEL, process.stderr);
  const url = new URL(cfg.MINIO_ENDPOINT);
  const minio = new Client({
    endPoint: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), useSSL: url.protocol === 'https:',
    accessKey: cfg.MINIO_ACCESS_KEY, secretKey: cfg.MINIO_SECRET_KEY,
  });
  const db = createDb(cfg.DATABASE_URL);
  try {
    const report = await sweepOrphanObjects(
      { store: new ImageStore(minio, cfg.MINIO_BUCKET), images: new ImageRepository(db) },
      { graceMs: minutes * 60_000, dryRun: values['dry-run'], itemId: values.item },
    );
    if (report.failed.length > 0) log.error({ failed: report.failed }, 'some orphan objects could not be removed');
    printJson({ ok: report.failed.length === 0, dryRun: values['dry-run'] ?? false, bucket: cfg.MINIO_BUCKET, olderThanMinutes: minutes, ...report });
    return report.failed.length === 0 ? 0 : 1;
  } finally {
    await db.$disconnect().catch(() => undefined);
  }
}

await runCli(() => main(process.argv.slice(2)), USAGE);

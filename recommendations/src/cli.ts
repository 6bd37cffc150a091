// Operator commands of the recommendations service:
//   node recommendations/src/cli.ts evaluate [--source database|synthetic] [--since ISO] [--users N] [--seed S] [--days D]
//       [--k 10] [--holdout 0.2] [--min-interactions 5] [--max-per-brand 3]
//     replays an activity log with a time-based split per shopper (each shopper's last interactions held out,
//     nothing from the future in training) and prints HR@k, NDCG@k, precision@k and catalog coverage of each
//     recommender and of the popularity baseline as JSON. `database` (the default) is what the service has consumed
//     from user-activity and order-events (RECOMMENDATIONS_DATABASE_URL); `synthetic` a seeded log with known
//     preferences generated in-process (src/core/synthetic.ts). --since (database): only the interactions from then on
//     (e.g. a simulator run's startedAt).
import { parseArgs } from 'node:util';
import { UsageError, printJson, runCli } from '@shop/kit';
import { evaluate } from './core/evaluate.ts';
import type { ItemInfo, ModelEvent } from './core/model.ts';
import { synthesize } from './core/synthetic.ts';

const USAGE = `usage: node recommendations/src/cli.ts evaluate [--source database|synthetic] [--since ISO] [--users N] [--seed S] [--days D] [--k 10] [--holdout 0.2] [--min-interactions 5] [--max-per-brand 3]`;

const number = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number in ${min}..${max}`);
  return n;
};

/** Reads the service's own log; set by the database module when it is loaded (keeps this file free of pg for `synthetic`). */
export type LogLoader = () => Promise<{ items: ItemInfo[]; events: ModelEvent[] }>;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'evaluate') throw new UsageError(command ? `unknown command '${command}'` : 'a command is required');
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        source: { type: 'string', default: 'database' }, since: { type: 'string' }, users: { type: 'string' }, seed: { type: 'string' }, days: { type: 'string' },
        k: { type: 'string' }, holdout: { type: 'string' }, 'min-interactions': { type: 'string' }, 'max-per-brand': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const options = {
    k: number('k', v.k, 10, 1, 100), holdout: number('holdout', v.holdout, 0.2, 0.01, 0.9),
    minInteractions: number('min-interactions', v['min-interactions'], 5, 2, 1000), maxPerBrand: number('max-per-brand', v['max-per-brand'], 3, 1, 100),
  };
  let log: { items: ItemInfo[]; events: ModelEvent[] };
  if (v.source === 'synthetic') {
    if (v.since) throw new UsageError('--since is for --source database');
    log = synthesize({ users: number('users', v.users, 400, 1, 100_000), seed: number('seed', v.seed, 42, 0, 2 ** 32 - 1), days: number('days', v.days, 30, 1, 365) });
  } else if (v.source === 'database') {
    if (v.users ?? v.seed ?? v.days) throw new UsageError('--users, --seed and --days are for --source synthetic');
    const since = v.since === undefined ? undefined : new Date(v.since);
    if (since && Number.isNaN(since.getTime())) throw new UsageError('--since must be a date-time (ISO 8601)');
    const { loadLogFromDatabase } = await import('./repositories/log.ts');
    log = await loadLogFromDatabase(since);
  } else {
    throw new UsageError(`--source must be database or synthetic, not '${v.source}'`);
  }
  printJson({ source: v.source, ...evaluate(log.items, log.events, options) });
  return 0;
}

if (import.meta.main) await runCli(() => main(process.argv.slice(2)), USAGE);

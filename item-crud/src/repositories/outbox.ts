import type pg from 'pg';
import type { Prisma } from '@shop/prisma/shop';
import type { Tx } from './items.ts';

/** The PostgreSQL channel a committed outbox write notifies (the relay LISTENs on it). */
export const OUTBOX_CHANNEL = 'outbox';
/**
 * The advisory lock a relay round holds for its whole transaction: one round at a time across all
 * instances, so two relays cannot split one item's events over two batches and reorder them.
 */
export const RELAY_LOCK_KEY = "hashtext('item-crud:outbox-relay')";

export interface NewOutboxRow {
  eventId: string;
  topic: string;
  key: string;
  payload: Prisma.InputJsonObject;
  headers: Record<string, string>;
}

/** Writes outbox rows inside the caller's transaction (the one that changes the item). */
export class OutboxWriter {
  async add(tx: Tx, row: NewOutboxRow): Promise<void> {
    await tx.outbox.create({ data: row });
    // Delivered to listeners when (and only if) the transaction commits.
    await tx.$executeRaw`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`;
  }
}

export interface PendingRow {
  id: string;
  topic: string;
  key: string;
  /** The JSON payload as text, sent as is. */
  payload: string;
  headers: Record<string, string>;
  createdAt: Date;
}

/** One relay round's transaction on a dedicated connection: lock, claim, mark, commit. */
export class RelayTransaction {
  readonly #client: pg.PoolClient;
  #done = false;
  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  /** Rows not yet published, oldest first, locked until commit (SKIP LOCKED: never waits on another). */
  async claim(limit: number): Promise<PendingRow[]> {
    const { rows } = await this.#client.query<{ id: string; topic: string; key: string; payload: string; headers: Record<string, string> | null; created_at: Date }>(
      `SELECT id::text, topic, key, payload::text AS payload, headers, created_at
         FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, topic: r.topic, key: r.key, payload: r.payload, headers: r.headers ?? {}, createdAt: r.created_at }));
  }

  async markPublished(ids: string[]): Promise<void> {
    await this.#client.query('UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])', [ids]);
  }

  async commit(): Promise<void> {
    await this.#finish('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.#finish('ROLLBACK').catch(() => undefined);
  }

  async #finish(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    try {
      await this.#client.query(statement);
      this.#client.release();
    } catch (err) {
      this.#client.release(err as Error); // a broken connection is not put back in the pool
      throw err;
    }
  }
}

/** What the relay reads and writes outside Prisma: it needs row locks and an advisory lock held across a Kafka send. */
export class OutboxStore {
  readonly #pool: pg.Pool;
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Opens a round's transaction and takes the relay lock; null (nothing held) when another round holds it. */
  async begin(): Promise<RelayTransaction | null> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) AS locked`);
      if (rows[0]?.locked) return new RelayTransaction(client);
      await client.query('ROLLBACK');
      client.release();
      return null;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  /** Bookkeeping of a failed attempt, outside the rolled-back round. */
  async recordFailure(ids: string[], error: string): Promise<void> {
    await this.#pool.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[]) AND published_at IS NULL', [ids, error.slice(0, 2_000)]);
  }

  /** How many rows wait and how old the oldest is, in seconds (0 when none). */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const { rows } = await this.#pool.query<{ pending: string; age: number | null }>(
      'SELECT count(*) AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM outbox WHERE published_at IS NULL',
    );
    return { pending: Number(rows[0]?.pending ?? 0), oldestAgeSeconds: Math.max(0, rows[0]?.age ?? 0) };
  }

  /** Deletes rows published longer than `days` ago; answers how many. */
  async deletePublishedBefore(days: number): Promise<number> {
    const { rowCount } = await this.#pool.query("DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1)", [days]);
    return rowCount ?? 0;
  }
}

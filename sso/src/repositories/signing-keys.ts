import type { Prisma, SigningKey } from '@shop/prisma/sso';
import type { Db } from '../db.ts';

export type { SigningKey };

export interface NewSigningKey {
  kid: string;
  algorithm: string;
  publicJwk: Prisma.InputJsonObject;
  /**
   * PKCS#8 PEM of the private key, stored as is. Production would keep it in a KMS/HSM (signing
   * through its API) or at least in an envelope-encrypted column whose key lives outside the database.
   */
  privatePem: string;
}

/** Any fixed 64-bit number: the transaction-scoped advisory lock serialising key creation and rotation. */
const SIGNING_KEYS_LOCK = 0x5350_4b45_5953n; // "SPKEYS"

export class SigningKeyRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Keys that may still verify tokens: the unretired ones (active or still waiting to activate) and
   * those retired after `retiredAfter`; the latest to activate first.
   */
  findVerifiable(retiredAfter: Date): Promise<SigningKey[]> {
    return this.#db.signingKey.findMany({
      where: { OR: [{ retiredAt: null }, { retiredAt: { gt: retiredAfter } }] },
      orderBy: [{ activatesAt: 'desc' }, { createdAt: 'desc' }],
    });
  }

  /**
   * Returns the newest active key, creating one with `make` when there is none. Safe when several
   * instances start at once: the advisory lock lets one check-and-insert run at a time.
   */
  async ensureActive(make: () => Promise<NewSigningKey>): Promise<{ key: SigningKey; created: boolean }> {
    return this.#db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT pg_advisory_xact_lock(${SIGNING_KEYS_LOCK})::text AS locked`;
      const active = await tx.signingKey.findFirst({ where: { retiredAt: null }, orderBy: { createdAt: 'desc' } });
      if (active) return { key: active, created: false };
      return { key: await tx.signingKey.create({ data: await make() }), created: true };
    });
  }

  /**
   * Inserts `key`, published at once and signing from `activatesAt`; every unretired key is retired
   * at that same moment (it signs until then), atomically.
   */
  async rotate(key: NewSigningKey, activatesAt: Date): Promise<{ key: SigningKey; retired: string[] }> {
    return this.#db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT pg_advisory_xact_lock(${SIGNING_KEYS_LOCK})::text AS locked`;
      const retired = await tx.signingKey.updateManyAndReturn({ where: { retiredAt: null }, data: { retiredAt: activatesAt }, select: { kid: true } });
      const created = await tx.signingKey.create({ data: { ...key, activatesAt } });
      return { key: created, retired: retired.map((k) => k.kid) };
    });
  }

  /** Deletes keys retired before `retiredBefore` (they can no longer verify any unexpired token). */
  async deleteRetiredBefore(retiredBefore: Date): Promise<number> {
    const { count } = await this.#db.signingKey.deleteMany({ where: { retiredAt: { lt: retiredBefore } } });
    return count;
  }
}

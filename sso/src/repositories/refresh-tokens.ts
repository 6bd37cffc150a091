import type { RefreshToken, User } from '@shop/prisma/sso';
import type { Db } from '../db.ts';

export interface NewRefreshToken {
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
}

/** Why a presented refresh token could not be rotated. */
export type RotationFailure =
  | { status: 'unknown' }
  | { status: 'reused'; familyId: string; userId: string }
  | { status: 'revoked' | 'expired'; familyId: string };

export type RotationResult = { status: 'rotated'; user: User; familyId: string } | RotationFailure;

/** Refresh tokens, stored only as SHA-256 hashes; a family is the chain of rotations of one login. */
export class RefreshTokenRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async create(token: NewRefreshToken): Promise<void> {
    await this.#db.refreshToken.create({ data: token });
  }

  /**
   * Marks the token with `tokenHash` as rotated and stores its successor in the same family, in one
   * transaction. The check-and-mark is a single conditional UPDATE: of two concurrent rotations of
   * the same token, the second waits for the first's row lock, re-checks `rotated_at IS NULL`, and
   * updates nothing. The successor is inserted in the same transaction, so a family revocation
   * triggered by the loser (reuse detection) always sees, and revokes, the winner's new token.
   */
  async rotate(tokenHash: string, next: { tokenHash: string; expiresAt: Date }, now: Date): Promise<RotationResult> {
    return this.#db.$transaction(async (tx) => {
      const [consumed] = await tx.refreshToken.updateManyAndReturn({
        where: { tokenHash, rotatedAt: null, revokedAt: null, expiresAt: { gt: now } },
        data: { rotatedAt: now },
      });
      if (consumed) {
        const user = await tx.user.findUnique({ where: { id: consumed.userId } });
        if (user) {
          await tx.refreshToken.create({
            data: { userId: user.id, familyId: consumed.familyId, tokenHash: next.tokenHash, expiresAt: next.expiresAt },
          });
          return { status: 'rotated', user, familyId: consumed.familyId };
        }
      }
      const existing = await tx.refreshToken.findUnique({ where: { tokenHash } });
      return classify(existing, now);
    });
  }

  /** Revokes every still-valid token of a family; returns how many were revoked. */
  async revokeFamily(familyId: string, now: Date): Promise<number> {
    const { count } = await this.#db.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } });
    return count;
  }

  /** Revokes the family of the token with `tokenHash` (logout); 0 when the token is unknown. */
  async revokeFamilyOf(tokenHash: string, now: Date): Promise<number> {
    const token = await this.#db.refreshToken.findUnique({ where: { tokenHash }, select: { familyId: true } });
    return token ? this.revokeFamily(token.familyId, now) : 0;
  }
}

function classify(token: RefreshToken | null, now: Date): RotationFailure {
  if (!token) return { status: 'unknown' };
  if (token.rotatedAt) return { status: 'reused', familyId: token.familyId, userId: token.userId };
  if (token.revokedAt) return { status: 'revoked', familyId: token.familyId };
  if (token.expiresAt <= now) return { status: 'expired', familyId: token.familyId };
  // Only reachable if the user vanished between the UPDATE and the read (deleting a user cascades).
  return { status: 'unknown' };
}

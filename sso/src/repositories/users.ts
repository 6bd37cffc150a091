import { Prisma, type Role, type User } from '@shop/prisma/sso';
import type { Db } from '../db.ts';
import { UserEventsWriter } from '../services/user-events.ts';

export type { Role, User };

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
}

/** Seams for tests: runs inside the account's transaction, after its event was written (a throw rolls both back). */
export interface UserHooks {
  beforeCommit?(user: User): Promise<void>;
}

/**
 * Users: emails are stored already normalized (trimmed, lower-cased) and unique by index. Every change
 * other services hear about (registration, role) writes its `user-events` event in the same transaction.
 */
export class UserRepository {
  readonly #db: Db;
  readonly #events = new UserEventsWriter();
  readonly #hooks: UserHooks;
  constructor(db: Db, hooks: UserHooks = {}) {
    this.#db = db;
    this.#hooks = hooks;
  }

  /** Inserts the user and its `user.registered`; `null` when the email is taken (the unique index decides, so this is race-safe). */
  async create(user: NewUser): Promise<User | null> {
    try {
      return await this.#db.$transaction(async (tx) => {
        const created = await tx.user.create({ data: user });
        await this.#events.add(tx, 'user.registered', created);
        await this.#hooks.beforeCommit?.(created);
        return created;
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return null;
      throw err;
    }
  }

  findByEmail(email: string): Promise<User | null> {
    return this.#db.user.findUnique({ where: { email } });
  }

  findById(id: string): Promise<User | null> {
    return this.#db.user.findUnique({ where: { id } });
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.#db.user.update({ where: { id }, data: { passwordHash } });
  }

  /** Changes the role (a new version) and writes its `user.updated`, in one transaction. */
  setRole(id: string, role: Role): Promise<User> {
    return this.#db.$transaction(async (tx) => {
      const user = await tx.user.update({ where: { id }, data: { role, version: { increment: 1 } } });
      await this.#events.add(tx, 'user.updated', user);
      await this.#hooks.beforeCommit?.(user);
      return user;
    });
  }
}

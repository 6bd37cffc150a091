import { Prisma, type Role, type User } from '@shop/prisma/sso';
import type { Db } from '../db.ts';

export type { Role, User };

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
}

/** Users: emails are stored already normalized (trimmed, lower-cased) and unique by index. */
export class UserRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Inserts the user; `null` when the email is taken (the unique index decides, so this is race-safe). */
  async create(user: NewUser): Promise<User | null> {
    try {
      return await this.#db.user.create({ data: user });
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

  setRole(id: string, role: Role): Promise<User> {
    return this.#db.user.update({ where: { id }, data: { role } });
  }
}

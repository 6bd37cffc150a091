import { Prisma, type ServiceClient } from '@shop/prisma/sso';
import type { Db } from '../db.ts';

export type { ServiceClient };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Registered service clients; only the scrypt hash of a secret is stored. */
export class ServiceClientRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Inserts the client; `null` when the name is taken (the unique index decides). */
  async create(client: { name: string; secretHash: string; scopes: string[] }): Promise<ServiceClient | null> {
    try {
      return await this.#db.serviceClient.create({ data: client });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return null;
      throw err;
    }
  }

  /** The client with this id (anything but a UUID is no client, without asking the database). */
  findById(id: string): Promise<ServiceClient | null> {
    return UUID.test(id) ? this.#db.serviceClient.findUnique({ where: { id } }) : Promise.resolve(null);
  }

  /** The client named by its id or, failing that, its name (operator commands take either). */
  async find(idOrName: string): Promise<ServiceClient | null> {
    return (await this.findById(idOrName)) ?? this.#db.serviceClient.findUnique({ where: { name: idOrName } });
  }

  async replaceSecret(id: string, secretHash: string, now: Date): Promise<ServiceClient> {
    return this.#db.serviceClient.update({ where: { id }, data: { secretHash, secretRotatedAt: now } });
  }

  /** Disables the client (idempotent: the first disabling time is kept). */
  async disable(id: string, now: Date): Promise<ServiceClient> {
    await this.#db.serviceClient.updateMany({ where: { id, disabledAt: null }, data: { disabledAt: now } });
    return this.#db.serviceClient.findUniqueOrThrow({ where: { id } });
  }
}

import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ACCESS_TOKEN_ALGORITHM } from '@shop/contracts/auth';
import type { NewSigningKey, SigningKey, SigningKeyRepository } from '../repositories/signing-keys.ts';

/** A public key as published in the JWKS document. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: typeof ACCESS_TOKEN_ALGORITHM;
  use: 'sig';
}

export interface Signer {
  kid: string;
  privateKey: KeyObject;
}

interface Snapshot {
  loadedAt: number;
  /** Keys that may sign, the latest to activate first, with the window in which each does. */
  signers: { signer: Signer; activatesAt: number; retiredAt: number }[];
  verifiers: Map<string, { jwk: PublicJwk; publicKey: KeyObject }>;
}

/** Unknown kids reload the key set at most this often (garbage kids cannot hammer the database). */
const UNKNOWN_KID_RELOAD_INTERVAL_MS = 1_000;

/** A new ES256 (P-256) key pair; the kid is the key's RFC 7638 JWK thumbprint. */
export async function generateSigningKey(): Promise<NewSigningKey> {
  const { publicKey, privateKey } = await new Promise<{ publicKey: KeyObject; privateKey: KeyObject }>((resolve, reject) => {
    generateKeyPair('ec', { namedCurve: 'P-256' }, (err, pub, priv) => (err ? reject(err) : resolve({ publicKey: pub, privateKey: priv })));
  });
  const { crv, kty, x, y } = publicKey.export({ format: 'jwk' }) as Required<Pick<JsonWebKey, 'crv' | 'kty' | 'x' | 'y'>>;
  const kid = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  const publicJwk: PublicJwk = { kty: 'EC', crv: 'P-256', x, y, kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
  return {
    kid,
    algorithm: ACCESS_TOKEN_ALGORITHM,
    publicJwk: { ...publicJwk },
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

export interface SigningKeysOptions {
  accessTokenTtlSeconds: number;
  /** How long the in-memory key set is trusted before re-reading it (0: on every use). */
  cacheSeconds: number;
  /**
   * How long a rotated-in key is published in the JWKS before it signs: longer than any verifier
   * caches the key set (the kit's verifiers: 60 s) plus `cacheSeconds`, so no verifier ever meets a
   * token whose key it has not had the chance to fetch.
   */
  publishSeconds?: number;
  now?: () => number;
}

/**
 * The signing key set. A rotated-in key is published in the JWKS at once but signs only after
 * `publishSeconds` (publish, then activate); at that moment the previous key retires. The latest
 * activated, un-retired key signs; keys retired less than an access-token lifetime ago (plus the cache
 * time, during which another instance may still sign with them) still verify and stay in the JWKS.
 * The set is read from the database at most every `cacheSeconds`, so a key rotated by the CLI or
 * another instance is picked up without a restart.
 */
export class SigningKeys {
  readonly #repo: SigningKeyRepository;
  readonly #ttlMs: number;
  readonly #cacheMs: number;
  readonly #publishMs: number;
  readonly #now: () => number;
  readonly #keyObjects = new Map<string, { publicKey: KeyObject; privateKey: KeyObject }>();
  #snapshot: Snapshot | undefined;
  #loading: Promise<Snapshot> | undefined;
  #unknownKidReload: Promise<Snapshot> | undefined;

  constructor(repo: SigningKeyRepository, options: SigningKeysOptions) {
    this.#repo = repo;
    this.#ttlMs = options.accessTokenTtlSeconds * 1000;
    this.#cacheMs = options.cacheSeconds * 1000;
    this.#publishMs = (options.publishSeconds ?? 0) * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** How long after its retirement a key still verifies. */
  get verificationGraceMs(): number {
    return this.#ttlMs + this.#cacheMs;
  }

  /** The key new access tokens are signed with (creating the first one if the table has none). */
  async signer(): Promise<Signer> {
    const current = this.#signerOf(await this.#current());
    if (current) return current;
    await this.ensureActiveKey();
    const reloaded = this.#signerOf(await this.#reload());
    if (!reloaded) throw new Error('no active signing key after creating one');
    return reloaded;
  }

  /** The key that signs now: activation and retirement are moments, so the choice is made per use. */
  #signerOf(snapshot: Snapshot): Signer | undefined {
    const now = this.#now();
    return snapshot.signers.find((s) => s.activatesAt <= now && now < s.retiredAt)?.signer;
  }

  /** The public key for `kid`, or undefined when it is unknown or retired for too long. */
  async publicKey(kid: string): Promise<KeyObject | undefined> {
    const seenAt = this.#now();
    const snapshot = await this.#current();
    if (snapshot.verifiers.has(kid) || snapshot.loadedAt >= seenAt) return snapshot.verifiers.get(kid)?.publicKey;
    // Unknown in a set read before this token arrived: wait for one shared reload (at most one per
    // interval, so made-up kids cannot hammer the database) rather than refuse a key just created.
    this.#unknownKidReload ??= (async () => {
      const wait = snapshot.loadedAt + UNKNOWN_KID_RELOAD_INTERVAL_MS - this.#now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
      return this.#reload();
    })().finally(() => {
      this.#unknownKidReload = undefined;
    });
    return (await this.#unknownKidReload).verifiers.get(kid)?.publicKey;
  }

  /** The JWKS document: every key that may still verify a token. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    const snapshot = await this.#current();
    return { keys: [...snapshot.verifiers.values()].map((v) => v.jwk) };
  }

  /** Creates a key when none is active (race-safe across instances); returns the active kid. */
  async ensureActiveKey(): Promise<{ kid: string; created: boolean }> {
    const { key, created } = await this.#repo.ensureActive(generateSigningKey);
    if (created) this.#snapshot = undefined;
    return { kid: key.kid, created };
  }

  /**
   * Adds a new key, published now and signing after `publishSeconds` (or `activateInSeconds`); the
   * previous one signs until then, retires at that moment and keeps verifying for the grace period.
   * Keys retired longer ago than that are deleted (nothing they signed is still valid).
   */
  async rotate(activateInSeconds = this.#publishMs / 1000): Promise<{ kid: string; activatesAt: string; retired: string[]; deleted: number }> {
    const now = this.#now();
    const activatesAt = new Date(now + activateInSeconds * 1000);
    const { key, retired } = await this.#repo.rotate(await generateSigningKey(), activatesAt);
    const deleted = await this.#repo.deleteRetiredBefore(new Date(now - this.verificationGraceMs));
    this.#snapshot = undefined;
    return { kid: key.kid, activatesAt: activatesAt.toISOString(), retired, deleted };
  }

  async #current(): Promise<Snapshot> {
    const snapshot = this.#snapshot;
    if (snapshot && this.#now() - snapshot.loadedAt < this.#cacheMs) return snapshot;
    return this.#reload();
  }

  /** One query at a time: concurrent callers share the load in flight. */
  #reload(): Promise<Snapshot> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<Snapshot> {
    const loadedAt = this.#now();
    const rows = await this.#repo.findVerifiable(new Date(loadedAt - this.verificationGraceMs));
    const verifiers = new Map<string, { jwk: PublicJwk; publicKey: KeyObject }>();
    const signers: Snapshot['signers'] = [];
    for (const row of rows) {
      const keys = this.#keyObjectsFor(row);
      verifiers.set(row.kid, { jwk: { ...(row.publicJwk as unknown as PublicJwk), kid: row.kid }, publicKey: keys.publicKey });
      // Rows come latest activation first, so the first one whose window holds "now" signs.
      const retiredAt = row.retiredAt?.getTime() ?? Infinity;
      if (retiredAt > loadedAt) signers.push({ signer: { kid: row.kid, privateKey: keys.privateKey }, activatesAt: row.activatesAt.getTime(), retiredAt });
    }
    const snapshot = { loadedAt, signers, verifiers };
    this.#snapshot = snapshot;
    return snapshot;
  }

  #keyObjectsFor(row: SigningKey): { publicKey: KeyObject; privateKey: KeyObject } {
    let keys = this.#keyObjects.get(row.kid);
    if (!keys) {
      const privateKey = createPrivateKey(row.privatePem);
      keys = { privateKey, publicKey: createPublicKey(privateKey) };
      this.#keyObjects.set(row.kid, keys);
    }
    return keys;
  }
}

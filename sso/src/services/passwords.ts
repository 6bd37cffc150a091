import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { ProblemFieldError } from '@shop/kit';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * scrypt cost for new hashes: N=2^15, r=8, p=1 needs 128·N·r = 32 MiB per hash (OWASP's minimum
 * recommendation is N=2^17 with r=8 p=1 or equivalent; 2^15 keeps a login near 50–100 ms here).
 * Every stored hash names its own parameters, so raising these only affects new hashes and hashes
 * re-computed after a successful login (`needsRehash`).
 */
export const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

/** Refuses stored parameters that would make one verification absurdly expensive (a corrupted row). */
const MAX_STORED_N = 2 ** 20;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const memoryFor = (N: number, r: number, p: number) => 128 * N * r * p * 2;

/** Unicode passwords are compared in NFKC form (NIST SP 800-63B), so equivalent input always matches. */
const normalize = (password: string) => password.normalize('NFKC');

/** `scrypt$N$r$p$<salt base64url>$<hash base64url>` */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength, saltLength } = SCRYPT;
  const salt = randomBytes(saltLength);
  const hash = await scryptAsync(normalize(password), salt, keyLength, { N, r, p, maxmem: memoryFor(N, r, p) });
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface ParsedHash { N: number; r: number; p: number; salt: Buffer; hash: Buffer }

function parse(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((v) => (/^\d{1,8}$/.test(v) ? Number(v) : NaN)) as [number, number, number];
  if (!(N > 1 && N <= MAX_STORED_N && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return null;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 8 || hash.length < 16) return null;
  return { N, r, p, salt, hash };
}

/**
 * Checks `password` against a stored hash in constant time. `needsRehash` says the hash was made
 * with other parameters than today's and should be replaced after this successful login.
 */
export async function verifyPassword(password: string, stored: string): Promise<{ ok: boolean; needsRehash: boolean }> {
  const parsed = parse(stored);
  if (!parsed) return { ok: false, needsRehash: false };
  const { N, r, p, salt, hash } = parsed;
  const candidate = await scryptAsync(normalize(password), salt, hash.length, { N, r, p, maxmem: memoryFor(N, r, p) });
  const ok = timingSafeEqual(candidate, hash);
  const needsRehash = N !== SCRYPT.N || r !== SCRYPT.r || p !== SCRYPT.p || hash.length !== SCRYPT.keyLength || salt.length !== SCRYPT.saltLength;
  return { ok, needsRehash: ok && needsRehash };
}

let dummyHash: Promise<string> | undefined;

/** Spends one verification on a throwaway hash, so an unknown email costs as much time as a wrong password. */
export async function spendPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password');
  await verifyPassword(password, await dummyHash);
}

/** The password policy (length only, as NIST SP 800-63B advises, and not the email itself). */
export function passwordProblems(password: string, email: string): ProblemFieldError[] {
  const problem = (message: string): ProblemFieldError => ({ location: 'body', pointer: '/password', message });
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return [problem(`must be at least ${PASSWORD_MIN_LENGTH} characters long`)];
  if (length > PASSWORD_MAX_LENGTH) return [problem(`must be at most ${PASSWORD_MAX_LENGTH} characters long`)];
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) return [problem('must not be the same as the email')];
  return [];
}

/**
 * Backend keys at rest: AES-256-GCM under a master key, a fresh 96-bit nonce for every seal, and the
 * master key's id in every sealed value (so a value sealed under another key is recognised as
 * such, not mistaken for garbage). The master key is SECRET_KEY (32 bytes or more, base64 or hex)
 * or, without it, one generated on first start into DATA_DIR/secret-key (owner-only), as the admin
 * token is. It is never printed.
 *
 *   lp-sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'lp-sealed:v1:';
export const SECRET_KEY_FILE = 'secret-key';

/** A value sealed under another master key, or damaged: it cannot be opened with this one. */
export class SecretMismatchError extends Error {}

export const isSealed = (value: string) => value.startsWith(PREFIX);

/** The id a sealed value names its master key by: public, and says nothing of the key. */
export const sealedKeyId = (value: string): string | null => (isSealed(value) ? value.slice(PREFIX.length).split(':')[0] ?? null : null);

export class SecretBox {
  readonly keyId: string;
  private readonly key: Buffer;

  constructor(master: Uint8Array) {
    if (master.byteLength < 32) throw new Error('the secret key must be at least 32 bytes');
    // A longer key is brought to 32 bytes; the id is a digest of the key under another label.
    this.key = master.byteLength === 32 ? Buffer.from(master) : createHash('sha256').update(master).digest();
    this.keyId = createHash('sha256').update('lite-proxy secret key id\0').update(this.key).digest('base64url').slice(0, 10);
  }

  seal(plain: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(this.keyId));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.keyId}:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** A sealed value's plaintext; a value that is not sealed (written by 0.1.0) as it is. */
  open(value: string): string {
    if (!isSealed(value)) return value;
    const [keyId, data] = value.slice(PREFIX.length).split(':');
    if (keyId !== this.keyId) throw new SecretMismatchError(`sealed under another secret key (id ${keyId}; this one is ${this.keyId})`);
    const bytes = Buffer.from(data ?? '', 'base64url');
    if (bytes.byteLength < 12 + 16) throw new SecretMismatchError('the sealed value is damaged');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(this.keyId));
      decipher.setAuthTag(bytes.subarray(bytes.byteLength - 16));
      return Buffer.concat([decipher.update(bytes.subarray(12, bytes.byteLength - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretMismatchError('the sealed value is damaged');
    }
  }
}

/** SECRET_KEY's bytes: base64 (or base64url) or hex, at least 32 bytes. */
export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  const bytes = /^[0-9a-f]+$/i.test(t) && t.length % 2 === 0 ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (bytes.byteLength < 32) throw new Error('SECRET_KEY must hold at least 32 bytes, as base64 or hex (e.g. `openssl rand -base64 32`)');
  return bytes;
}

export interface LoadedSecretKey {
  box: SecretBox;
  source: { kind: 'env' } | { kind: 'file'; path: string; created: boolean };
}

/** SECRET_KEY when set, else DATA_DIR/secret-key (made on first use, mode 0600, unless `create` is false: then null). */
export function loadSecretKey(opts: { fromEnv: string | null; dataDir: string; create?: false }): LoadedSecretKey;
export function loadSecretKey(opts: { fromEnv: string | null; dataDir: string; create: false }): LoadedSecretKey | null;
export function loadSecretKey(opts: { fromEnv: string | null; dataDir: string; create?: boolean }): LoadedSecretKey | null {
  if (opts.fromEnv) return { box: new SecretBox(parseSecretKey(opts.fromEnv)), source: { kind: 'env' } };
  const path = join(opts.dataDir, SECRET_KEY_FILE);
  if (existsSync(path)) {
    let bytes: Buffer;
    try {
      bytes = parseSecretKey(readFileSync(path, 'utf8'));
    } catch {
      throw new Error(`${path} does not hold a valid secret key (32 bytes, base64); restore it from a backup: without it the backend keys cannot be read`);
    }
    return { box: new SecretBox(bytes), source: { kind: 'file', path, created: false } };
  }
  if (opts.create === false) return null;
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const bytes = randomBytes(32);
  writeFileSync(path, `${bytes.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { box: new SecretBox(bytes), source: { kind: 'file', path, created: true } };
}

/** Writes a new master key into DATA_DIR/secret-key (rotate-secret), keeping the old one beside it. */
export function writeSecretKeyFile(dataDir: string, bytes: Buffer): string {
  const path = join(dataDir, SECRET_KEY_FILE);
  if (existsSync(path)) writeFileSync(`${path}.old`, readFileSync(path), { mode: 0o600 });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${bytes.toString('base64')}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}
